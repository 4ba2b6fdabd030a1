package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.SharedData;
import org.neuralj.backend.NeuralJException;

/** The safe YAML reader: the shapes bioimage.io descriptions use, and what must be refused. */
class BioimageYamlTest {
    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    @Test
    void readsBlockFlowAndScalarForms() {
        String yaml = """
                %YAML 1.2
                ---
                # a comment
                name: UNet 2D   # trailing comment
                version: 0.5.4
                orcid: 0000-0001-6562-7187
                eps: 1e-6
                count: 42
                neg: -3
                big: .inf
                flag: true
                nothing: ~
                empty:
                quoted: 'it''s: fine # not a comment'
                escaped: "tab\\there \\u00e9 \\"q\\""
                folded_quote:
                  'first line
                   second line'
                url: https://example.com/a#b
                flow: [1, 2.5, "three", [x, y]]
                fmap: {a: 1, b: [c, d], 'e f': g}
                multi: a plain value
                  that continues
                literal: |
                  line 1
                    indented
                  line 3
                folded: >-
                  one
                  two

                  three
                compact:
                - a
                - b: 1
                  c: 2
                -
                  - nested
                nested:
                  - id: raw
                    axes:
                      - type: batch
                      - {type: space, id: y, size: 512}
                ...
                """;
        Map<String, Object> m = map(BioimageYaml.parse(yaml, "t.yaml"));
        assertEquals("UNet 2D", m.get("name"));
        assertEquals("0.5.4", m.get("version"));
        assertEquals("0000-0001-6562-7187", m.get("orcid"));
        assertEquals(1e-6, m.get("eps"));
        assertEquals(42L, m.get("count"));
        assertEquals(-3L, m.get("neg"));
        assertEquals(Double.POSITIVE_INFINITY, m.get("big"));
        assertEquals(Boolean.TRUE, m.get("flag"));
        assertTrue(m.containsKey("nothing") && m.get("nothing") == null);
        assertTrue(m.containsKey("empty") && m.get("empty") == null);
        assertEquals("it's: fine # not a comment", m.get("quoted"));
        assertEquals("tab\there \u00e9 \"q\"", m.get("escaped"));
        assertEquals("first line second line", m.get("folded_quote"));
        assertEquals("https://example.com/a#b", m.get("url"));
        assertEquals(List.of(1L, 2.5, "three", List.of("x", "y")), m.get("flow"));
        assertEquals(Map.of("a", 1L, "b", List.of("c", "d"), "e f", "g"), m.get("fmap"));
        assertEquals("a plain value that continues", m.get("multi"));
        assertEquals("line 1\n  indented\nline 3\n", m.get("literal"));
        assertEquals("one two\nthree", m.get("folded"));
        assertEquals(List.of("a", Map.of("b", 1L, "c", 2L), List.of("nested")), m.get("compact"));
        Map<String, Object> raw = map(list(m.get("nested")).get(0));
        assertEquals("raw", raw.get("id"));
        assertEquals(Map.of("type", "space", "id", "y", "size", 512L), list(raw.get("axes")).get(1));
        assertEquals(List.copyOf(m.keySet()).subList(0, 3), List.of("name", "version", "orcid"), "keys keep the file's order");
    }

    @Test
    void readsTheRealUNetDescription() {
        Path file = SharedData.require("onnx/real-models/unet2d-nuclei-broad/bioimageio.yaml");
        Map<String, Object> m = map(BioimageYaml.read(file));
        assertEquals("UNet 2D Nuclei Broad", m.get("name"));
        assertEquals("0.5.4", m.get("format_version"));
        Map<String, Object> cite = map(list(m.get("cite")).get(0));
        assertEquals("Ronneberger, Olaf et al. U-net: Convolutional networks for biomedical image segmentation. MICCAI 2015.",
                cite.get("text"));
        Map<String, Object> input = map(list(m.get("inputs")).get(0));
        assertEquals(512L, map(list(input.get("axes")).get(2)).get("size"));
        assertEquals("zero_mean_unit_variance", map(list(input.get("preprocessing")).get(1)).get("id"));
        assertEquals(List.of("x", "y"), map(map(list(input.get("preprocessing")).get(1)).get("kwargs")).get("axes"));
        Map<String, Object> output = map(list(m.get("outputs")).get(0));
        assertEquals(32L, map(list(output.get("axes")).get(2)).get("halo"));
        assertEquals("weights.onnx", map(map(m.get("weights")).get("onnx")).get("source"));
        assertEquals("2019-12-11T11:22:32+00:00", m.get("timestamp"));
        assertNull(m.get("no-such-key"));
    }

    static void refused(String yaml, String... words) {
        NeuralJException e = assertThrows(NeuralJException.class, () -> BioimageYaml.parse(yaml, "evil.yaml"), yaml);
        assertTrue(e.getMessage().startsWith("evil.yaml:"), e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' in: " + e.getMessage());
        }
    }

    @Test
    void refusesTagsAnchorsAliasesAndOtherTricks() {
        refused("a: !!java.lang.ProcessBuilder [\"sh\"]\n", "evil.yaml:1:4", "tags", "!!java.lang.ProcessBuilder");
        refused("x: !!python/object/apply:os.system [\"ls\"]\n", "tags");
        refused("!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://x\"]]]]\n", "tags");
        refused("- !<tag:yaml.org,2002:java.io.File> /etc/passwd\n", "tags");
        refused("%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", "%TAG");
        refused("a: &x [1, 2]\nb: *x\n", "anchors");
        refused("a: [1, 2]\nb: *x\n", "aliases");
        // the "billion laughs": refused at its first anchor, nothing expands
        StringBuilder bomb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'i'; c++) {
            bomb.append(c).append(": &").append(c).append(" [");
            for (int k = 0; k < 9; k++) {
                bomb.append(k > 0 ? "," : "").append('*').append((char) (c - 1));
            }
            bomb.append("]\n");
        }
        refused(bomb.toString(), "anchors");
        refused("? [a, b]\n: c\n", "complex");
        refused("a: 1\na: 2\n", "evil.yaml:2:1", "'a' appears twice");
        refused("{a: 1, a: 2}\n", "appears twice");
        refused("a: 1\n---\nb: 2\n", "second document");
        refused("a:\n\tb: 1\n", "tab");
        refused("a: b: c\n", "next line");
        refused("a: 'never closed\n", "never closed");
        refused("a: [1, 2\n", "never closed");
        refused("a: 1\n  b: 2\n", "quote the value");
        refused("[".repeat(BioimageYaml.MAX_DEPTH + 2) + "]".repeat(BioimageYaml.MAX_DEPTH + 2) + "\n", "deeper than");
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i <= BioimageYaml.MAX_DEPTH + 1; i++) {
            deep.append(" ".repeat(i)).append("k").append(i).append(":\n");
        }
        deep.append(" ".repeat(BioimageYaml.MAX_DEPTH + 2)).append("v\n");
        refused(deep.toString(), "deeper than");
    }

    /** Damaged descriptions (bytes changed, cut, lines swapped) parse or fail with a NeuralJException, nothing else. */
    @Test
    void damagedDescriptionsFailCleanly() throws Exception {
        String good = Files.readString(SharedData.require("onnx/real-models/unet2d-nuclei-broad/bioimageio.yaml"));
        java.util.Random r = new java.util.Random(7);
        String alphabet = " \n\t:-[]{}'\"#|>!&*?,.%@`\\0aZ";
        int parsed = 0, refused = 0;
        for (int i = 0; i < 3000; i++) {
            StringBuilder b = new StringBuilder(good);
            int edits = 1 + r.nextInt(4);
            for (int k = 0; k < edits && b.length() > 0; k++) {
                int at = r.nextInt(b.length());
                switch (r.nextInt(3)) {
                    case 0 -> b.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    case 1 -> b.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    default -> b.setLength(at);
                }
            }
            try {
                BioimageYaml.parse(b.toString(), "damaged.yaml");
                parsed++;
            } catch (NeuralJException e) {
                assertTrue(e.getMessage().startsWith("damaged.yaml:"), e.getMessage());
                refused++;
            }
        }
        assertTrue(parsed > 100 && refused > 100, "both outcomes occur: " + parsed + " parsed, " + refused + " refused");
    }

    @Test
    void refusesHugeFilesUnread() throws Exception {
        Path big = dir.resolve("rdf.yaml");
        try (var out = Files.newBufferedWriter(big)) {
            out.write("description: '");
            String chunk = "x".repeat(1023) + "\n";
            for (int i = 0; i < 1100; i++) {
                out.write(chunk);
            }
            out.write("'\n");
        }
        NeuralJException e = assertThrows(NeuralJException.class, () -> BioimageYaml.read(big));
        assertTrue(e.getMessage().contains("refused unread"), e.getMessage());
    }
}
