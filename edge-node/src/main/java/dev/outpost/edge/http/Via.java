package dev.outpost.edge.http;

import java.util.ArrayList;
import java.util.List;

/**
 * The Via field (RFC 9110 §7.6.3), read for one purpose: refusing a forwarding loop. Every
 * Outpost node appends {@code 1.1 <node.id> (outpost)} to the requests it forwards, so a request
 * whose Via already names this node's id as a received-by has been here before (an edge whose
 * origin leads back to itself, a shield pointed at its own edge); §7.6.3 names loop detection as a
 * use of Via.
 *
 * <p>Grammar: {@code Via = #( received-protocol RWS received-by [ RWS comment ] )}. Members are
 * split on commas outside comments (a comment may hold commas, nested parentheses and quoted pairs,
 * RFC 9110 §5.6.5); a member that does not have both a protocol and a received-by is skipped.
 * Received-by is compared exactly (node ids are case-sensitive names); the comment is not needed,
 * since intermediaries may drop comments (§7.6.3).
 */
public final class Via {

    private Via() {
    }

    /** The received-by of each well-formed member of a Via field value, in order. */
    public static List<String> receivedBy(String fieldValue) {
        List<String> out = new ArrayList<>();
        if (fieldValue == null) {
            return out;
        }
        for (String member : members(fieldValue)) {
            String[] words = member.strip().split("[ \t]+", 3);
            if (words.length >= 2 && !words[0].isEmpty() && !words[1].startsWith("(")) {
                out.add(words[1]);
            }
        }
        return out;
    }

    /** Whether any Via line of {@code message} names {@code receivedBy}: the message passed through it. */
    public static boolean passedThrough(Fields message, String receivedBy) {
        for (String line : message.all("Via")) {
            if (receivedBy(line).contains(receivedBy)) {
                return true;
            }
        }
        return false;
    }

    /** The list members of a field value, with commas inside comments kept in their member. */
    private static List<String> members(String value) {
        List<String> members = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (depth > 0 && c == '\\' && i + 1 < value.length()) {
                current.append(c).append(value.charAt(++i)); // quoted-pair inside a comment
                continue;
            }
            if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (c == ',' && depth == 0) {
                members.add(current.toString());
                current.setLength(0);
                continue;
            }
            current.append(c);
        }
        members.add(current.toString());
        return members;
    }
}
