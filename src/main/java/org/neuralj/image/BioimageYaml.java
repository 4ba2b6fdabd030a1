package org.neuralj.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.neuralj.backend.NeuralJException;

/**
 * A safe reader for the YAML of bioimage.io model packages ({@code rdf.yaml}, {@code bioimageio.yaml}):
 * one document of block and flow mappings and sequences, plain, quoted and block ({@code |}, {@code >})
 * scalars and comments. It builds only {@code Map<String, Object>} (in file order), {@code List<Object>},
 * {@code String}, {@code Long}, {@code Double}, {@code Boolean} and null (YAML 1.2 core schema) — never an
 * object the file names. What could make it do more, or much more work, is refused with the file, line
 * and column: tags ({@code !!java/object}, {@code !python/...}, {@code %TAG}), anchors and aliases (so
 * no alias bomb can expand), complex keys, several documents, duplicate keys, files over
 * {@link #MAX_BYTES} and nesting deeper than {@link #MAX_DEPTH}.
 */
public final class BioimageYaml {
    /** The largest file read (bioimage.io descriptions are a few kB). */
    public static final long MAX_BYTES = 1 << 20;
    /** The deepest nesting of collections accepted. */
    public static final int MAX_DEPTH = 64;

    private static final Pattern INT = Pattern.compile("[-+]?[0-9]+");
    private static final Pattern FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");

    private final String s;
    private final String source;
    private int pos;

    private BioimageYaml(String text, String source) {
        this.s = text.replace("\r\n", "\n").replace('\r', '\n');
        this.source = source;
    }

    /** Reads {@code file} (UTF-8); refuses files over {@link #MAX_BYTES} before reading them. */
    public static Object read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new NeuralJException(file + ": " + size + " bytes; a bioimage.io description is at most " + MAX_BYTES
                        + " bytes here (refused unread)");
            }
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new NeuralJException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses one YAML document; {@code source} names it in errors. */
    public static Object parse(String text, String source) {
        if (text.length() > MAX_BYTES) {
            throw new NeuralJException(source + ": " + text.length() + " characters; at most " + MAX_BYTES + " are read");
        }
        return new BioimageYaml(text, source).document();
    }

    // ---- document ---------------------------------------------------------------------------------

    private Object document() {
        if (s.startsWith("\uFEFF")) {
            pos = 1;
        }
        skipBlank();
        while (pos < s.length() && s.charAt(pos) == '%' && column(pos) == 0) {
            if (s.startsWith("%TAG", pos)) {
                throw error("%TAG directives are refused (tags could name classes to build)");
            }
            skipLine();
            skipBlank();
        }
        if (marker("---")) {
            pos += 3;
            skipInlineSpace();
            if (pos < s.length() && s.charAt(pos) != '\n' && s.charAt(pos) != '#') {
                checkNodeStart();
                throw error("content on the '---' line is not supported; start the document on the next line");
            }
            skipBlank();
        }
        Object root = pos >= s.length() || marker("...") ? null : node(-1, 0);
        skipBlank();
        if (marker("...")) {
            pos += 3;
            skipBlank();
        }
        if (marker("---")) {
            throw error("a second document: a bioimage.io description is one document");
        }
        if (pos < s.length()) {
            throw error("unexpected content (wrong indentation?)");
        }
        return root;
    }

    /** A node starting at pos (a content character); scalars continue on lines indented more than {@code parent}. */
    private Object node(int parent, int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
        checkNodeStart();
        char c = s.charAt(pos);
        if (c == '-' && isBlankOrEnd(pos + 1)) {
            return blockSequence(column(pos), depth + 1);
        }
        if (c == '|' || c == '>') {
            return blockScalar(parent);
        }
        if (c == '[' || c == '{') {
            Object v = flow(depth + 1);
            skipInlineSpace();
            if (pos < s.length() && s.charAt(pos) == ':') {
                throw error("a collection as a mapping key is not supported");
            }
            return v;
        }
        if (isKeyAt(pos)) {
            return blockMapping(column(pos), depth + 1);
        }
        if (c == '"' || c == '\'') {
            return quoted();
        }
        return resolve(plain(parent));
    }

    /** Refuses tags, anchors, aliases and complex keys at a node's start. */
    private void checkNodeStart() {
        char c = s.charAt(pos);
        if (c == '!') {
            throw error("tags ('" + word() + "') are refused: NeuralJ reads plain data only, never objects a file names");
        }
        if (c == '&') {
            throw error("anchors ('" + word() + "') are refused (with aliases they can expand without bound)");
        }
        if (c == '*') {
            throw error("aliases ('" + word() + "') are refused (they can expand without bound)");
        }
        if (c == '?' && isBlankOrEnd(pos + 1)) {
            throw error("complex mapping keys ('? ') are not supported");
        }
        if (c == '@' || c == '`') {
            throw error("'" + c + "' cannot start a plain value: quote it");
        }
    }

    // ---- block collections --------------------------------------------------------------------

    private Map<String, Object> blockMapping(int indent, int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
        Map<String, Object> map = new LinkedHashMap<>();
        while (true) {
            int keyAt = pos;
            checkNodeStart();
            String key = s.charAt(pos) == '"' || s.charAt(pos) == '\'' ? quoted() : plainKey();
            skipInlineSpace();
            if (pos >= s.length() || s.charAt(pos) != ':') {
                throw error("expected ':' after the key '" + key + "'");
            }
            pos++;
            Object value = valueAfterColon(indent, depth);
            if (map.containsKey(key)) {
                pos = keyAt;
                throw error("the key '" + key + "' appears twice");
            }
            map.put(key, value);
            skipBlank();
            if (pos >= s.length() || marker("---") || marker("...")) {
                return map;
            }
            int col = column(pos);
            if (col < indent) {
                return map;
            }
            if (col > indent) {
                throw error("wrong indentation: expected a key at column " + (indent + 1));
            }
            if (!isKeyAt(pos)) {
                if (s.charAt(pos) == '-' && isBlankOrEnd(pos + 1)) {
                    throw error("a list item where a key was expected (indent the list under its key)");
                }
                throw error("expected 'key: value' at column " + (indent + 1));
            }
        }
    }

    /** The value after "key:" of a mapping at {@code indent}. */
    private Object valueAfterColon(int indent, int depth) {
        skipInlineSpace();
        if (pos >= s.length() || s.charAt(pos) == '\n' || s.charAt(pos) == '#') {
            skipBlank();
            if (pos >= s.length() || marker("---") || marker("...")) {
                return null;
            }
            int col = column(pos);
            if (col > indent) {
                return node(indent, depth);
            }
            if (col == indent && s.charAt(pos) == '-' && isBlankOrEnd(pos + 1)) {
                return blockSequence(col, depth + 1); // "key:\n- item": a list at the key's own indentation
            }
            return null;
        }
        char c = s.charAt(pos);
        if (c == '|' || c == '>') {
            return blockScalar(indent);
        }
        checkNodeStart();
        if (c == '[' || c == '{') {
            return flow(depth + 1);
        }
        if (c == '"' || c == '\'') {
            return quoted();
        }
        if (isKeyAt(pos)) {
            throw error("a mapping cannot start on the line of its key: put it on the next line, indented");
        }
        return resolve(plain(indent));
    }

    private List<Object> blockSequence(int indent, int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
        List<Object> list = new ArrayList<>();
        while (true) {
            pos++; // the '-'
            skipInlineSpace();
            if (pos >= s.length() || s.charAt(pos) == '\n' || s.charAt(pos) == '#') {
                skipBlank();
                list.add(pos < s.length() && column(pos) > indent && !marker("---") && !marker("...") ? node(indent, depth) : null);
            } else {
                list.add(node(indent, depth));
            }
            skipBlank();
            if (pos >= s.length() || marker("---") || marker("...")) {
                return list;
            }
            int col = column(pos);
            if (col < indent || col == indent && !(s.charAt(pos) == '-' && isBlankOrEnd(pos + 1))) {
                return list;
            }
            if (col > indent) {
                throw error("wrong indentation: expected '- ' at column " + (indent + 1));
            }
        }
    }

    // ---- flow collections ---------------------------------------------------------------------

    private Object flow(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
        char open = s.charAt(pos);
        char close = open == '[' ? ']' : '}';
        pos++;
        List<Object> list = open == '[' ? new ArrayList<>() : null;
        Map<String, Object> map = open == '{' ? new LinkedHashMap<>() : null;
        while (true) {
            skipFlowSpace();
            if (pos >= s.length()) {
                throw error("'" + open + "' is never closed");
            }
            if (s.charAt(pos) == close) {
                pos++;
                return list != null ? list : map;
            }
            if (map != null) {
                int keyAt = pos;
                Object k = flowValue(depth, true);
                skipFlowSpace();
                if (pos >= s.length() || s.charAt(pos) != ':') {
                    throw error("expected ':' in a {...} mapping");
                }
                pos++;
                skipFlowSpace();
                Object v = pos < s.length() && (s.charAt(pos) == ',' || s.charAt(pos) == '}') ? null : flowValue(depth, false);
                String key = String.valueOf(k);
                if (map.containsKey(key)) {
                    pos = keyAt;
                    throw error("the key '" + key + "' appears twice");
                }
                map.put(key, v);
            } else {
                list.add(flowValue(depth, false));
                skipFlowSpace();
                if (pos < s.length() && s.charAt(pos) == ':') {
                    throw error("'key: value' pairs inside [...] are not supported");
                }
            }
            skipFlowSpace();
            if (pos >= s.length()) {
                throw error("'" + open + "' is never closed");
            } else if (s.charAt(pos) == ',') {
                pos++;
            } else if (s.charAt(pos) != close) {
                throw error("expected ',' or '" + close + "'");
            }
        }
    }

    private Object flowValue(int depth, boolean key) {
        checkNodeStart();
        char c = s.charAt(pos);
        if (c == '[' || c == '{') {
            if (key) {
                throw error("a collection as a mapping key is not supported");
            }
            return flow(depth + 1);
        }
        if (c == '"' || c == '\'') {
            return quoted();
        }
        StringBuilder b = new StringBuilder();
        while (pos < s.length()) {
            char ch = s.charAt(pos);
            if (ch == ',' || ch == ']' || ch == '}' || ch == '[' || ch == '{'
                    || ch == ':' && (isBlankOrEnd(pos + 1) || "],}".indexOf(s.charAt(pos + 1)) >= 0)
                    || ch == '#' && pos > 0 && Character.isWhitespace(s.charAt(pos - 1))) {
                break;
            }
            b.append(ch == '\n' ? ' ' : ch);
            pos++;
        }
        String text = b.toString().trim().replaceAll("\\s+", " ");
        return key ? text : resolve(text);
    }

    // ---- scalars ------------------------------------------------------------------------------

    /** A plain key: up to the ':' that is followed by a blank. */
    private String plainKey() {
        int start = pos;
        while (pos < s.length() && s.charAt(pos) != '\n' && !(s.charAt(pos) == ':' && isBlankOrEnd(pos + 1))) {
            pos++;
        }
        return s.substring(start, pos).trim();
    }

    /** A plain scalar in block context: this line and the lines after it indented more than {@code parent}. */
    private String plain(int parent) {
        StringBuilder b = new StringBuilder(plainLine());
        while (true) {
            int blankLines = 0;
            int next = -1;
            for (int p = pos; p < s.length() && s.charAt(p) == '\n'; ) {
                int q = p + 1;
                while (q < s.length() && (s.charAt(q) == ' ' || s.charAt(q) == '\t')) {
                    q++;
                }
                if (q < s.length() && s.charAt(q) == '\n') {
                    blankLines++;
                    p = q;
                } else {
                    next = q;
                    break;
                }
            }
            if (next < 0 || next >= s.length() || s.charAt(next) == '#' || column(next) <= parent
                    || markerAt(next, "---") || markerAt(next, "...")) {
                return b.toString(); // pos stays at the end of the scalar's last line
            }
            pos = next;
            b.append(blankLines > 0 ? "\n".repeat(blankLines) : " ").append(plainLine());
        }
    }

    /** The rest of a plain scalar's line, up to a comment; refuses ': ' inside (YAML reads it as a mapping). */
    private String plainLine() {
        int start = pos;
        while (pos < s.length() && s.charAt(pos) != '\n') {
            char ch = s.charAt(pos);
            if (ch == '#' && pos > start && Character.isWhitespace(s.charAt(pos - 1))) {
                break;
            }
            if (ch == ':' && isBlankOrEnd(pos + 1)) {
                throw error("': ' inside a plain value: quote the value");
            }
            pos++;
        }
        String line = s.substring(start, pos).trim();
        skipLineRest();
        return line;
    }

    /** A single- or double-quoted scalar, possibly over several lines (folded: one line break is a space). */
    private String quoted() {
        char q = s.charAt(pos);
        int startLine = pos;
        pos++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= s.length()) {
                pos = startLine;
                throw error("the quoted value is never closed");
            }
            char c = s.charAt(pos);
            if (c == q) {
                if (q == '\'' && pos + 1 < s.length() && s.charAt(pos + 1) == '\'') {
                    b.append('\'');
                    pos += 2;
                    continue;
                }
                pos++;
                return b.toString();
            }
            if (c == '\n') {
                // fold: trailing spaces go, one break is a space, each further empty line a newline
                while (b.length() > 0 && (b.charAt(b.length() - 1) == ' ' || b.charAt(b.length() - 1) == '\t')) {
                    b.setLength(b.length() - 1);
                }
                int breaks = 0;
                while (pos < s.length() && (s.charAt(pos) == '\n' || s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
                    breaks += s.charAt(pos) == '\n' ? 1 : 0;
                    pos++;
                }
                b.append(breaks > 1 ? "\n".repeat(breaks - 1) : " ");
                continue;
            }
            if (q == '"' && c == '\\') {
                pos = escape(b, pos + 1);
                continue;
            }
            b.append(c);
            pos++;
        }
    }

    /** Appends the escape at {@code at} (after the backslash) and returns the position after it. */
    private int escape(StringBuilder b, int at) {
        if (at >= s.length()) {
            throw error("a backslash at the end of the file");
        }
        char e = s.charAt(at);
        switch (e) {
            case 'n' -> b.append('\n');
            case 't', '\t' -> b.append('\t');
            case 'r' -> b.append('\r');
            case '0' -> b.append('\0');
            case '"', '\\', '/', ' ' -> b.append(e);
            case 'x', 'u', 'U' -> {
                int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                if (at + 1 + n > s.length()) {
                    throw error("a short \\" + e + " escape");
                }
                int cp;
                try {
                    cp = Integer.parseUnsignedInt(s.substring(at + 1, at + 1 + n), 16);
                } catch (NumberFormatException ex) {
                    throw error("a bad \\" + e + " escape");
                }
                if (!Character.isValidCodePoint(cp)) {
                    throw error("\\" + e + " escape outside Unicode");
                }
                b.appendCodePoint(cp);
                return at + 1 + n;
            }
            case '\n' -> {
                int p = at + 1; // an escaped line break joins the lines
                while (p < s.length() && (s.charAt(p) == ' ' || s.charAt(p) == '\t')) {
                    p++;
                }
                return p;
            }
            default -> throw error("unknown escape '\\" + e + "'");
        }
        return at + 1;
    }

    /** A literal (|) or folded (>) block scalar; its lines are indented more than {@code parent}. */
    private String blockScalar(int parent) {
        boolean literal = s.charAt(pos) == '|';
        pos++;
        char chomp = 'c';
        int explicit = 0;
        while (pos < s.length() && "+-123456789".indexOf(s.charAt(pos)) >= 0) {
            char c = s.charAt(pos++);
            if (c == '+' || c == '-') {
                chomp = c;
            } else {
                explicit = c - '0';
            }
        }
        skipInlineSpace();
        if (pos < s.length() && s.charAt(pos) != '\n' && s.charAt(pos) != '#') {
            throw error("text after a block scalar indicator");
        }
        skipLineRest();
        int indent = explicit > 0 ? Math.max(parent, 0) + explicit : -1;
        List<String> lines = new ArrayList<>();
        while (pos < s.length()) {
            int lineStart = pos + 1;
            int p = lineStart;
            while (p < s.length() && s.charAt(p) == ' ') {
                p++;
            }
            boolean empty = p >= s.length() || s.charAt(p) == '\n';
            if (!empty) {
                if (indent < 0) {
                    indent = p - lineStart;
                    if (indent <= parent) {
                        break;
                    }
                }
                if (p - lineStart < indent) {
                    break;
                }
            }
            int end = s.indexOf('\n', lineStart);
            end = end < 0 ? s.length() : end;
            lines.add(empty ? "" : s.substring(lineStart + indent, end));
            pos = end;
        }
        int trailing = 0;
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
            trailing++;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i > 0) {
                String prev = lines.get(i - 1);
                boolean plainPrev = !prev.isEmpty() && !prev.startsWith(" ");
                if (literal || !plainPrev) {
                    b.append('\n');
                } else if (!line.isEmpty() && !line.startsWith(" ")) {
                    b.append(' ');  // folded: a single break between text lines is a space
                } else if (line.startsWith(" ")) {
                    b.append('\n');
                } // folded: the break before an empty line goes; the empty line is the newline

            }
            b.append(line);
        }
        if (chomp == 'c' && !lines.isEmpty()) {
            b.append('\n');
        } else if (chomp == '+') {
            b.append("\n".repeat(trailing + (lines.isEmpty() ? 0 : 1)));
        }
        return b.toString();
    }

    /** YAML 1.2 core schema for a plain scalar: null, booleans, integers, floats, else the string. */
    static Object resolve(String t) {
        switch (t) {
            case "", "~", "null", "Null", "NULL":
                return null;
            case "true", "True", "TRUE":
                return Boolean.TRUE;
            case "false", "False", "FALSE":
                return Boolean.FALSE;
            case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
                return Double.POSITIVE_INFINITY;
            case "-.inf", "-.Inf", "-.INF":
                return Double.NEGATIVE_INFINITY;
            case ".nan", ".NaN", ".NAN":
                return Double.NaN;
            default:
                break;
        }
        if (INT.matcher(t).matches()) {
            try {
                return Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
            } catch (NumberFormatException e) {
                return Double.parseDouble(t);
            }
        }
        if (t.startsWith("0x") && t.length() > 2 && t.length() <= 17 && t.substring(2).chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return Long.parseUnsignedLong(t.substring(2), 16);
        }
        if (t.startsWith("0o") && t.length() > 2 && t.length() <= 23 && t.substring(2).chars().allMatch(c -> c >= '0' && c <= '7')) {
            return Long.parseLong(t.substring(2), 8);
        }
        if (FLOAT.matcher(t).matches()) {
            return Double.parseDouble(t);
        }
        return t;
    }

    // ---- positions ----------------------------------------------------------------------------

    /** True when the line at {@code p} holds "key:" (plain or quoted) followed by a blank. */
    private boolean isKeyAt(int p) {
        char c = s.charAt(p);
        if (c == '"' || c == '\'') {
            int q = p + 1;
            while (q < s.length() && s.charAt(q) != '\n') {
                if (s.charAt(q) == '\\' && c == '"') {
                    q += 2;
                    continue;
                }
                if (s.charAt(q) == c) {
                    if (c == '\'' && q + 1 < s.length() && s.charAt(q + 1) == '\'') {
                        q += 2;
                        continue;
                    }
                    q++;
                    while (q < s.length() && s.charAt(q) == ' ') {
                        q++;
                    }
                    return q < s.length() && s.charAt(q) == ':' && isBlankOrEnd(q + 1);
                }
                q++;
            }
            return false;
        }
        if (c == '[' || c == '{' || c == '#' || c == '-' && isBlankOrEnd(p + 1)) {
            return false;
        }
        for (int q = p; q < s.length() && s.charAt(q) != '\n'; q++) {
            if (s.charAt(q) == '#' && q > p && Character.isWhitespace(s.charAt(q - 1))) {
                return false;
            }
            if (s.charAt(q) == ':' && isBlankOrEnd(q + 1)) {
                return true;
            }
        }
        return false;
    }

    private boolean isBlankOrEnd(int p) {
        return p >= s.length() || s.charAt(p) == ' ' || s.charAt(p) == '\n' || s.charAt(p) == '\t';
    }

    /** "---" or "..." at the start of a line, followed by a blank. */
    private boolean marker(String m) {
        return markerAt(pos, m);
    }

    private boolean markerAt(int p, String m) {
        return column(p) == 0 && s.startsWith(m, p) && isBlankOrEnd(p + 3);
    }

    private int column(int p) {
        int nl = s.lastIndexOf('\n', p - 1);
        return p - nl - 1;
    }

    private void skipInlineSpace() {
        while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
            pos++;
        }
    }

    /** Skips spaces and a comment up to the end of the line (not the line break). */
    private void skipLineRest() {
        skipInlineSpace();
        if (pos < s.length() && s.charAt(pos) == '#') {
            while (pos < s.length() && s.charAt(pos) != '\n') {
                pos++;
            }
        }
    }

    private void skipLine() {
        while (pos < s.length() && s.charAt(pos) != '\n') {
            pos++;
        }
    }

    /** Skips blank lines, comments and indentation up to the next content character; tabs may not indent. */
    private void skipBlank() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == '\t' && s.substring(s.lastIndexOf('\n', pos - 1) + 1, pos).isBlank()) {
                int p = pos;
                while (p < s.length() && (s.charAt(p) == ' ' || s.charAt(p) == '\t')) {
                    p++;
                }
                if (p < s.length() && s.charAt(p) != '\n' && s.charAt(p) != '#') {
                    throw error("a tab in the indentation (YAML indents with spaces)");
                }
                pos = p;
            } else if (c == ' ' || c == '\n' || c == '\t') {
                pos++;
            } else if (c == '#') {
                skipLine();
            } else {
                return;
            }
        }
    }

    /** Inside [...] or {...}: spaces, line breaks and comments. */
    private void skipFlowSpace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\n' || c == '\t') {
                pos++;
            } else if (c == '#' && (pos == 0 || Character.isWhitespace(s.charAt(pos - 1)))) {
                skipLine();
            } else {
                return;
            }
        }
    }

    private String word() {
        int e = pos;
        while (e < s.length() && !Character.isWhitespace(s.charAt(e)) && e - pos < 40) {
            e++;
        }
        return s.substring(pos, e);
    }

    private NeuralJException error(String message) {
        int line = 1;
        for (int i = 0; i < Math.min(pos, s.length()); i++) {
            if (s.charAt(i) == '\n') {
                line++;
            }
        }
        return new NeuralJException(source + ":" + line + ":" + (column(Math.min(pos, s.length())) + 1) + ": " + message);
    }
}
