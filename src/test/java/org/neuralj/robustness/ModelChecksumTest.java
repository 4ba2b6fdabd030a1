package org.neuralj.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.backend.NeuralJException;
import org.neuralj.cli.Main;
import org.neuralj.image.ModelCard;
import org.neuralj.image.ModelLocator;
import org.neuralj.onnx.ModelFormatException;

/** Model files carry their SHA-256 in their card; a changed or damaged file is refused by name with both sums. */
class ModelChecksumTest {

    @Test
    void everyShippedCardCarriesTheSumOfItsModel() throws Exception {
        List<Path> cards;
        try (Stream<Path> s = Files.list(Path.of("sample-data/models"))) {
            cards = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(cards.size() >= 3, cards.toString());
        for (Path card : cards) {
            ModelCard c = ModelCard.read(card);
            assertNotNull(c.sha256(), card + " has no sha256 (java ... org.neuralj.image.ModelCard " + card + " writes it)");
            assertEquals(ModelCard.sha256Of(c.modelFile(card)), c.sha256(), card + ": the shipped model changed; "
                    + "java -cp target/classes:target/jars/* org.neuralj.image.ModelCard " + card + " updates the sum");
            ModelLocator.locate(card.toString(), null); // verified on load
        }
    }

    @Test
    void aDamagedModelIsRefusedWithBothSums(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("blob-detector.onnx");
        Path card = dir.resolve("blob-detector.json");
        Files.copy(Path.of("sample-data/models/blob-detector.onnx"), onnx);
        Files.copy(Path.of("sample-data/models/blob-detector.json"), card);
        String expected = ModelCard.read(card).sha256();
        ModelLocator.locate(card.toString(), null);
        byte[] b = Files.readAllBytes(onnx);
        b[b.length / 2] ^= 0x01; // one bit flipped, as a bad copy would
        Files.write(onnx, b);
        String actual = ModelCard.sha256Of(onnx);
        for (String how : new String[] {card.toString(), onnx.toString()}) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLocator.locate(how, null));
            String m = e.getMessage();
            assertTrue(m.contains(onnx.toString()) && m.contains(card.toString()) && m.contains(expected) && m.contains(actual), m);
        }
        // apply reads the ONNX file directly and checks the card beside it too
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"apply", onnx.toString(), "sample-data/images/synthetic-nuclei.tif", "--output",
            dir.resolve("out.tif").toString(), "--backend", "cpu"}, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(o, true, StandardCharsets.UTF_8));
        String report = o.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, report);
        assertTrue(report.contains("does not match its model card") && report.contains(actual), report);
        assertTrue(Files.notExists(dir.resolve("out.tif")), "nothing written");
    }

    @Test
    void writingACardStampsTheSumOfItsModelAndABadSumIsRefused(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("net.onnx");
        Files.copy(Path.of("sample-data/models/blob-detector.onnx"), onnx);
        ModelCard card = ModelCard.read(Path.of("sample-data/models/blob-detector.json"));
        ModelCard fresh = new ModelCard("net", card.task(), "net.onnx", card.axes(), card.channels(), card.normalization(), 0,
                card.output(), card.classes(), 0.5, 0, 0, 0, null, null, null);
        ModelCard written = fresh.write(dir.resolve("net.json")); // what training does after exporting the model
        assertEquals(ModelCard.sha256Of(onnx), written.sha256());
        assertEquals(written.sha256(), ModelCard.read(dir.resolve("net.json")).sha256());
        NeuralJException bad = assertThrows(NeuralJException.class,
                () -> ModelCard.parse("{\"name\": \"x\", \"task\": \"image\", \"sha256\": \"abc\"}", "x.json"));
        assertTrue(bad.getMessage().contains("x.json") && bad.getMessage().contains("sha256"), bad.getMessage());
    }
}
