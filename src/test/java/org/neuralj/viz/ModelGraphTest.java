package org.neuralj.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.Point;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.nn.Model;

/**
 * The picture of a model's graph, headless: one box per engine step plus inputs and outputs, the
 * arrows of every data dependency, no box over another and no arrow through a box (skip connections
 * run down the right-hand lanes), and the drawn image shows the boxes where the layout put them.
 */
class ModelGraphTest {
    @TempDir
    Path dir;

    @Test
    void theNucleiUNetGraphIsLaidOutWithoutOverlaps() throws Exception {
        Model model = Model.load(Path.of("sample-data/models/nuclei.onnx"));
        Map<String, int[]> shapes = Map.of("input", new int[] {1, 1, 128, 128});
        ModelGraph.Layout layout = ModelGraph.layout(model, shapes);
        List<ModelSummary.Row> rows = ModelSummary.of(model, shapes);
        assertEquals(1 + rows.size() + 1, layout.boxes().size(), "input, one box per step, output");
        for (int i = 0; i < rows.size(); i++) {
            List<String> lines = layout.boxes().get(i + 1).lines();
            assertEquals(List.of(rows.get(i).op(), rows.get(i).value(), rows.get(i).shapeText()), lines.subList(0, 3));
        }
        checkGeometry(layout);
        long skips = layout.edges().stream().filter(e -> e.path().size() > 2).count();
        assertTrue(skips >= 3 + 7, "the U-Net's 3 skip connections and 7 residual branches go round: " + skips);
        BufferedImage img = ModelGraph.render(layout);
        checkPixels(layout, img);
        Path png = dir.resolve("nuclei.png");
        ModelGraph.writePng(model, shapes, png);
        BufferedImage back = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(img.getWidth(), back.getWidth());
        assertEquals(img.getHeight(), back.getHeight());
    }

    @Test
    void branchesSitSideBySide() {
        // the small U-Net-like graph: three up-sampling branches read the same value, so share a row
        Model model = Model.fromOnnx(DenseExplainTest.uNetLike(1), "unet-like.onnx");
        ModelGraph.Layout layout = ModelGraph.layout(model, Map.of("x", new int[] {1, 2, 8, 8}));
        checkGeometry(layout);
        int sameRow = 0;
        for (ModelGraph.Box a : layout.boxes()) {
            for (ModelGraph.Box b : layout.boxes()) {
                sameRow += a != b && a.bounds().y == b.bounds().y ? 1 : 0;
            }
        }
        assertTrue(sameRow >= 6, "Resize, ConvTranspose and Resize side by side: " + sameRow / 2 + " pairs in a row");
        checkPixels(layout, ModelGraph.render(layout));
    }

    /** Boxes apart; each arrow starts on its source, ends on its target and crosses no other box. */
    static void checkGeometry(ModelGraph.Layout layout) {
        List<ModelGraph.Box> boxes = layout.boxes();
        for (int i = 0; i < boxes.size(); i++) {
            Rectangle r = boxes.get(i).bounds();
            assertTrue(r.x >= 0 && r.y >= 0 && r.x + r.width <= layout.width() && r.y + r.height <= layout.height(), "box " + i + " inside");
            for (int j = i + 1; j < boxes.size(); j++) {
                assertTrue(!r.intersects(boxes.get(j).bounds()), "boxes " + i + " and " + j + " overlap");
            }
        }
        for (ModelGraph.Edge e : layout.edges()) {
            List<Point> p = e.path();
            assertTrue(onEdge(boxes.get(e.from()).bounds(), p.get(0)), "arrow " + e.from() + "->" + e.to() + " starts on its source");
            assertTrue(onEdge(boxes.get(e.to()).bounds(), p.get(p.size() - 1)), "arrow ends on its target");
            for (int k = 1; k < p.size(); k++) {
                for (int b = 0; b < boxes.size(); b++) {
                    Rectangle inner = boxes.get(b).bounds();
                    inner = new Rectangle(inner.x + 1, inner.y + 1, inner.width - 2, inner.height - 2);
                    if (inner.intersectsLine(p.get(k - 1).x, p.get(k - 1).y, p.get(k).x, p.get(k).y)) {
                        fail("arrow " + e.from() + "->" + e.to() + " crosses box " + b + " " + boxes.get(b).lines());
                    }
                }
            }
        }
    }

    static boolean onEdge(Rectangle r, Point p) {
        return p.x >= r.x && p.x <= r.x + r.width && (p.y == r.y || p.y == r.y + r.height);
    }

    /** Each box's border is drawn (dark) and its inside filled (light), where the layout says. */
    static void checkPixels(ModelGraph.Layout layout, BufferedImage img) {
        assertEquals(layout.width(), img.getWidth());
        assertEquals(layout.height(), img.getHeight());
        for (ModelGraph.Box b : layout.boxes()) {
            Rectangle r = b.bounds();
            int border = img.getRGB(r.x + r.width / 2, r.y) & 0xffffff;
            int inside = img.getRGB(r.x + r.width - 3, r.y + r.height - 4) & 0xffffff;
            assertTrue(brightness(border) < 150, "border of " + b.lines() + ": " + Integer.toHexString(border));
            assertTrue(brightness(inside) > 170 && inside != 0xffffff, "fill of " + b.lines() + ": " + Integer.toHexString(inside));
        }
    }

    static int brightness(int rgb) {
        return ((rgb >> 16 & 255) + (rgb >> 8 & 255) + (rgb & 255)) / 3;
    }
}
