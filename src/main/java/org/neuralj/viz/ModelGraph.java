package org.neuralj.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Point;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.neuralj.backend.NeuralJException;
import org.neuralj.nn.Meta;
import org.neuralj.nn.Model;
import org.neuralj.nn.Plan;

/**
 * A picture of a model's layer graph as the engine runs it (after load-time fusion, as
 * {@link ModelSummary} lists it): a box per step with its op, output value and shape, boxes for the
 * graph's inputs and outputs, and arrows from each value to its readers. Layout: each box sits in the
 * row of its longest path from the input; boxes of a row side by side. An arrow to the next row is a
 * straight line; a longer one (a skip connection, a residual branch) leaves through the gap below its
 * source, runs down a lane to the right of all boxes and enters its target from the gap above it,
 * so no arrow crosses a box. Drawn with Java2D on a {@link BufferedImage}: works headless.
 */
public final class ModelGraph {
    private ModelGraph() {
    }

    /** What a box shows. */
    public enum Kind { INPUT, OUTPUT, CONV, POOL, RESAMPLE, ACTIVATION, NORMALIZATION, JOIN, DENSE, OTHER }

    /** One box: its lines of text (the first is the title) and where it is. */
    public record Box(Kind kind, List<String> lines, Rectangle bounds) {
    }

    /** An arrow from box {@code from} to box {@code to}, as a polyline ending at the target's edge. */
    public record Edge(int from, int to, List<Point> path) {
    }

    /** The boxes and arrows, and the picture's size. */
    public record Layout(String title, List<Box> boxes, List<Edge> edges, int width, int height) {
    }

    private static final int PAD = 6;
    private static final int COLUMN_GAP = 24;
    private static final int ROW_GAP = 30;
    private static final int LANE_GAP = 8;
    private static final int MARGIN = 16;
    private static final int MAX_BOX_WIDTH = 240;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 12);
    private static final Font TEXT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    /** The graph of {@code model} for these input shapes, laid out. */
    public static Layout layout(Model model, Map<String, int[]> inputShapes) {
        Plan plan = model.plan(inputShapes);
        List<ModelSummary.Row> rows = ModelSummary.of(model, inputShapes);
        List<List<String>> text = new ArrayList<>();
        List<Kind> kinds = new ArrayList<>();
        List<List<Integer>> sources = new ArrayList<>();
        Map<String, Integer> producer = new HashMap<>();
        for (Model.Input in : model.inputs()) {
            producer.put(in.name(), text.size());
            text.add(List.of("input", in.name(), shape(inputShapes.get(in.name()))));
            kinds.add(Kind.INPUT);
            sources.add(List.of());
        }
        List<Plan.Planned> steps = plan.steps();
        for (int i = 0; i < steps.size(); i++) {
            Plan.Planned p = steps.get(i);
            ModelSummary.Row row = rows.get(i);
            List<Integer> from = new ArrayList<>();
            for (String name : p.inputs()) {
                Meta m = name.isEmpty() ? null : plan.meta(name);
                Integer src = m == null || m.isConstant() ? null : producer.get(name);
                if (src != null && !from.contains(src)) {
                    from.add(src);
                }
            }
            List<String> lines = new ArrayList<>(List.of(row.op(), row.value(), row.shapeText()));
            if (row.parameters() > 0) {
                lines.add(String.format(Locale.ROOT, "%,d weights", row.parameters()));
            }
            for (String o : p.outputs()) {
                if (!o.isEmpty()) {
                    producer.put(o, text.size());
                }
            }
            text.add(lines);
            kinds.add(kind(p.node().info().opType()));
            sources.add(from);
        }
        for (String out : model.outputNames()) {
            Integer src = producer.get(out);
            text.add(List.of("output", out, shape(plan.meta(out) == null ? null : plan.meta(out).shape())));
            kinds.add(Kind.OUTPUT);
            sources.add(src == null ? List.of() : List.of(src));
        }
        return place(model.source(), text, kinds, sources);
    }

    /** Rows by longest path, columns by order; arrows straight or through the right-hand lanes. */
    private static Layout place(String source, List<List<String>> text, List<Kind> kinds, List<List<Integer>> sources) {
        int n = text.size();
        int[] row = new int[n];
        int rows = 0;
        for (int i = 0; i < n; i++) {
            for (int s : sources.get(i)) {
                row[i] = Math.max(row[i], row[s] + 1);
            }
            rows = Math.max(rows, row[i] + 1);
        }
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scratch.createGraphics();
        FontMetrics title = g.getFontMetrics(TITLE), plain = g.getFontMetrics(TEXT);
        g.dispose();
        int boxW = 80, lineH = plain.getHeight();
        int maxLines = 1;
        for (List<String> lines : text) {
            boxW = Math.max(boxW, title.stringWidth(lines.get(0)) + 2 * PAD);
            for (String l : lines.subList(1, lines.size())) {
                boxW = Math.max(boxW, plain.stringWidth(l) + 2 * PAD);
            }
            maxLines = Math.max(maxLines, lines.size());
        }
        boxW = Math.min(boxW, MAX_BOX_WIDTH);
        int boxH = title.getHeight() + (maxLines - 1) * lineH + 2 * PAD;
        int titleH = title.getHeight() + 8;
        int[] column = new int[n];
        int[] filled = new int[rows];
        int columns = 1;
        for (int i = 0; i < n; i++) {
            column[i] = filled[row[i]]++;
            columns = Math.max(columns, filled[row[i]]);
        }
        List<Box> boxes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Rectangle r = new Rectangle(MARGIN + column[i] * (boxW + COLUMN_GAP), MARGIN + titleH + row[i] * (boxH + ROW_GAP), boxW, boxH);
            boxes.add(new Box(kinds.get(i), text.get(i), r));
        }
        int lanesX = MARGIN + columns * (boxW + COLUMN_GAP) - COLUMN_GAP + LANE_GAP;
        List<Edge> edges = new ArrayList<>();
        List<Integer> laneEnds = new ArrayList<>();               // the last row each lane is busy down to
        for (int to = 0; to < n; to++) {
            Rectangle t = boxes.get(to).bounds();
            for (int from : sources.get(to)) {
                Rectangle f = boxes.get(from).bounds();
                List<Point> path = new ArrayList<>();
                path.add(new Point((int) f.getCenterX(), f.y + f.height));
                if (row[to] == row[from] + 1) {
                    path.add(new Point((int) t.getCenterX(), t.y));
                } else {
                    int lane = 0;
                    while (lane < laneEnds.size() && laneEnds.get(lane) >= row[from]) {
                        lane++;
                    }
                    if (lane == laneEnds.size()) {
                        laneEnds.add(row[to]);
                    } else {
                        laneEnds.set(lane, row[to]);
                    }
                    int x = lanesX + lane * LANE_GAP;
                    int below = f.y + f.height + 6 + (lane % 4) * 5;      // in the gap under the source
                    int above = t.y - 6 - (lane % 4) * 5;                 // in the gap over the target
                    path.add(new Point((int) f.getCenterX(), below));
                    path.add(new Point(x, below));
                    path.add(new Point(x, above));
                    path.add(new Point((int) t.getCenterX() + 6, above));
                    path.add(new Point((int) t.getCenterX() + 6, t.y));
                }
                edges.add(new Edge(from, to, path));
            }
        }
        int width = Math.max(lanesX + laneEnds.size() * LANE_GAP + MARGIN, MARGIN * 2 + title.stringWidth(source) + 200);
        int height = MARGIN * 2 + titleH + rows * (boxH + ROW_GAP) - ROW_GAP;
        return new Layout(source, boxes, edges, width, height);
    }

    /** The layout drawn: white background, coloured boxes by kind, black arrows. */
    public static BufferedImage render(Layout layout) {
        long pixels = (long) layout.width() * layout.height();
        if (pixels > 200_000_000L) {
            throw new NeuralJException(layout.title() + ": the graph picture would be " + layout.width() + "x" + layout.height()
                    + " pixels; too large to draw (" + layout.boxes().size() + " boxes)");
        }
        BufferedImage img = new BufferedImage(layout.width(), layout.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, layout.width(), layout.height());
            g.setColor(Color.BLACK);
            g.setFont(TITLE);
            g.drawString(layout.title(), MARGIN, MARGIN + g.getFontMetrics().getAscent());
            g.setStroke(new BasicStroke(1.2f));
            g.setColor(new Color(60, 60, 60));
            for (Edge e : layout.edges()) {
                List<Point> p = e.path();
                for (int i = 1; i < p.size(); i++) {
                    g.drawLine(p.get(i - 1).x, p.get(i - 1).y, p.get(i).x, p.get(i).y);
                }
                arrowHead(g, p.get(p.size() - 2), p.get(p.size() - 1));
            }
            for (Box b : layout.boxes()) {
                Rectangle r = b.bounds();
                g.setColor(fill(b.kind()));
                g.fillRoundRect(r.x, r.y, r.width, r.height, 10, 10);
                g.setColor(Color.DARK_GRAY);
                g.drawRoundRect(r.x, r.y, r.width, r.height, 10, 10);
                g.setColor(Color.BLACK);
                java.awt.Shape clip = g.getClip();
                g.clipRect(r.x, r.y, r.width, r.height);
                g.setFont(TITLE);
                int y = r.y + PAD + g.getFontMetrics().getAscent();
                g.drawString(b.lines().get(0), r.x + PAD, y);
                y += g.getFontMetrics().getDescent();
                g.setFont(TEXT);
                for (String line : b.lines().subList(1, b.lines().size())) {
                    y += g.getFontMetrics().getHeight();
                    g.drawString(line, r.x + PAD, y - g.getFontMetrics().getDescent());
                }
                g.setClip(clip);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Renders the graph of {@code model} and writes it as a PNG. */
    public static void writePng(Model model, Map<String, int[]> inputShapes, Path file) {
        try {
            if (!javax.imageio.ImageIO.write(render(layout(model, inputShapes)), "png", file.toFile())) {
                throw new NeuralJException("no PNG writer in this Java runtime");
            }
        } catch (IOException e) {
            throw new NeuralJException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void arrowHead(Graphics2D g, Point from, Point to) {
        double a = Math.atan2(to.y - from.y, to.x - from.x);
        int size = 7;
        int[] xs = {to.x, (int) Math.round(to.x - size * Math.cos(a - 0.4)), (int) Math.round(to.x - size * Math.cos(a + 0.4))};
        int[] ys = {to.y, (int) Math.round(to.y - size * Math.sin(a - 0.4)), (int) Math.round(to.y - size * Math.sin(a + 0.4))};
        g.fillPolygon(xs, ys, 3);
    }

    private static final Set<String> POOLS = Set.of("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool");
    private static final Set<String> RESAMPLE = Set.of("Resize", "Upsample", "ConvTranspose", "DepthToSpace", "SpaceToDepth");
    private static final Set<String> ACTIVATIONS = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Softplus",
            "HardSigmoid", "Softmax", "LogSoftmax", "Clip", "PRelu", "Gelu", "HardSwish", "Mish");
    private static final Set<String> NORMS = Set.of("BatchNormalization", "InstanceNormalization", "GroupNormalization",
            "LayerNormalization", "LRN");
    private static final Set<String> JOINS = Set.of("Add", "Sub", "Mul", "Div", "Concat", "Sum");
    private static final Set<String> DENSE = Set.of("Gemm", "MatMul", "Flatten", "Reshape");

    private static Kind kind(String op) {
        return op.equals("Conv") ? Kind.CONV : POOLS.contains(op) ? Kind.POOL : RESAMPLE.contains(op) ? Kind.RESAMPLE
                : ACTIVATIONS.contains(op) ? Kind.ACTIVATION : NORMS.contains(op) ? Kind.NORMALIZATION : JOINS.contains(op) ? Kind.JOIN
                : DENSE.contains(op) ? Kind.DENSE : Kind.OTHER;
    }

    private static Color fill(Kind k) {
        return switch (k) {
            case INPUT, OUTPUT -> new Color(230, 230, 230);
            case CONV -> new Color(190, 215, 245);
            case POOL -> new Color(200, 235, 200);
            case RESAMPLE -> new Color(225, 205, 240);
            case ACTIVATION -> new Color(250, 220, 180);
            case NORMALIZATION -> new Color(245, 240, 190);
            case JOIN -> new Color(215, 215, 215);
            case DENSE -> new Color(245, 200, 200);
            case OTHER -> new Color(240, 240, 240);
        };
    }

    private static String shape(int[] s) {
        return s == null ? "" : java.util.Arrays.toString(s).replace(" ", "");
    }
}
