package dev.outpost.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Loads and validates the edge-node and purge-api configuration files.
 *
 * <p>Design: Jackson only parses YAML into a {@link JsonNode} tree; it never binds to the records,
 * because binding stops at the first error. {@link EdgeConfigReader} and {@link PurgeApiConfigReader}
 * walk the tree through {@link ConfigReader}, a small validating view of one mapping that substitutes
 * {@code ${VAR}} in string scalars, converts them ({@link Converters}), records every problem with its
 * key path and falls back to a default so the walk goes on, and reports unknown keys with a "did you
 * mean". When the walk ends with any problem, a {@link ConfigException} carries all of them; otherwise
 * the records are returned. The environment is a parameter so tests never read the real one. Checks
 * that depend on the machine's state at start time (ports in use) are separate:
 * {@link #checkPortsFree(EdgeConfig)}. The data-directory check (exists and writable, or creatable)
 * is part of validation.
 */
public final class ConfigLoader {

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ConfigLoader() {
    }

    /** Loads an edge config from a file, substituting variables from {@link System#getenv()}. */
    public static EdgeConfig loadEdge(Path file) {
        return parseEdge(read(file), System.getenv());
    }

    /** Parses and validates an edge config. @throws ConfigException listing every problem */
    public static EdgeConfig parseEdge(String yaml, Map<String, String> env) {
        return parse(yaml, env, EdgeConfigReader::read);
    }

    /** Loads a purge-api config from a file, substituting variables from {@link System#getenv()}. */
    public static PurgeApiConfig loadPurgeApi(Path file) {
        return parsePurgeApi(read(file), System.getenv());
    }

    /** Parses and validates a purge-api config. @throws ConfigException listing every problem */
    public static PurgeApiConfig parsePurgeApi(String yaml, Map<String, String> env) {
        return parse(yaml, env, PurgeApiConfigReader::read);
    }

    /**
     * Tries to bind {@code server.port} and {@code admin.port} on their hosts; port 0 is skipped.
     *
     * @return one problem per port that cannot be bound, e.g.
     *     {@code server.port: port 8080 on 0.0.0.0 is already in use}; empty when all are free
     */
    public static List<ConfigProblem> checkPortsFree(EdgeConfig config) {
        List<ConfigProblem> problems = new ArrayList<>();
        checkPort("server.port", config.server().host(), config.server().port()).ifPresent(problems::add);
        checkPort("admin.port", config.admin().host(), config.admin().port()).ifPresent(problems::add);
        return problems;
    }

    /** Like {@link #checkPortsFree(EdgeConfig)} for the purge-api's {@code server.port}. */
    public static List<ConfigProblem> checkPortsFree(PurgeApiConfig config) {
        return checkPort("server.port", config.server().host(), config.server().port()).stream().toList();
    }

    private static <T> T parse(String yaml, Map<String, String> env, Function<ConfigReader, T> walker) {
        List<ConfigProblem> problems = new ArrayList<>();
        JsonNode document;
        try {
            document = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(List.of(syntaxProblem(e, yaml)));
        }
        T config = walker.apply(ConfigReader.root(document, problems, Map.copyOf(env)));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    private static ConfigProblem syntaxProblem(JsonProcessingException e, String yaml) {
        String message = firstLine(e.getOriginalMessage());
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException y && y.getProblem() != null) {
                message = firstLine(y.getProblem()) + (y.getContext() == null ? "" : " (" + firstLine(y.getContext()) + ")");
            }
        }
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1
                ? ""
                : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        String[] lines = yaml.split("\n", -1);
        if (at != null && at.getLineNr() >= 1 && at.getLineNr() <= lines.length
                && lines[at.getLineNr() - 1].contains("${")) {
            message += "; a value with ${...} inside [...] or {...} must be quoted";
        }
        return new ConfigProblem(ConfigProblem.DOCUMENT, "invalid YAML" + where + ": " + message);
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "unreadable";
        }
        String s = text.strip();
        int newline = s.indexOf('\n');
        return newline < 0 ? s : s.substring(0, newline).strip();
    }

    private static String read(Path file) {
        String problem;
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            problem = "file not found";
        } catch (AccessDeniedException e) {
            problem = "file is not readable (permission denied)";
        } catch (CharacterCodingException e) {
            problem = "file is not valid UTF-8";
        } catch (IOException e) {
            problem = Files.isDirectory(file) ? "is a directory, not a file" : "cannot read file: " + e.getMessage();
        }
        throw new ConfigException(List.of(new ConfigProblem(file.toString(), problem)));
    }

    private static Optional<ConfigProblem> checkPort(String path, String host, int port) {
        if (port == 0) {
            return Optional.empty();
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return Optional.empty();
        } catch (UnknownHostException e) {
            return Optional.of(new ConfigProblem(path, "cannot resolve host " + host));
        } catch (BindException e) {
            String reason = e.getMessage() != null && e.getMessage().contains("in use")
                    ? "is already in use"
                    : "cannot be bound (" + e.getMessage() + ")";
            return Optional.of(new ConfigProblem(path, "port " + port + " on " + host + " " + reason));
        } catch (IOException | SecurityException e) {
            return Optional.of(new ConfigProblem(path,
                    "port " + port + " on " + host + " cannot be bound (" + e.getMessage() + ")"));
        }
    }
}
