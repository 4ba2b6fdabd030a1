package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.neuralj.backend.cpu.Close.assertClose;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.ResizeSpec;
import org.neuralj.backend.ResizeSpec.CoordinateMode;
import org.neuralj.backend.ResizeSpec.Mode;
import org.neuralj.backend.ResizeSpec.NearestMode;
import org.neuralj.backend.Tensor;

/**
 * Expected outputs are copied from ONNX's own node tests (onnx/backend/test/data/node/test_resize_*,
 * output_0.pb, computed by ONNX's reference implementation); the test name is given with each case.
 * ONNX defaults: coordinate mode half_pixel, nearest mode round_prefer_floor, cubic_coeff_a -0.75.
 */
class CpuResizeTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    private static final float[] X4 = Close.iota(16);

    static {
        for (int i = 0; i < 16; i++) {
            X4[i] = i + 1; // 1..16 in 4x4
        }
    }

    private static final float[] X22 = {1, 2, 3, 4};
    private static final float[] X24 = {1, 2, 3, 4, 5, 6, 7, 8};

    private static void check(String onnxTest, float[] x, int h, int w, int oh, int ow, float sh, float sw,
                              Mode mode, CoordinateMode cm, NearestMode nm, float a, boolean exclude, float[] expected) {
        ResizeSpec s = new ResizeSpec(oh, ow, sh, sw, mode, cm, nm, a, exclude);
        try (Tensor t = cpu.upload(x, 1, 1, h, w); Tensor y = cpu.resize(t, s)) {
            assertArrayEquals(new int[] {1, 1, oh, ow}, y.shape());
            assertClose(expected, cpu.download(y), 2e-6, 2e-6, onnxTest);
        }
    }

    private static final CoordinateMode HP = CoordinateMode.HALF_PIXEL;
    private static final NearestMode RPF = NearestMode.ROUND_PREFER_FLOOR;

    @Test
    void repeatFactorOnlyForNearestWholeFactorUpsamplingThatRepeatsPixels() {
        ResizeSpec asymmetric = new ResizeSpec(10, 14, 2f, 2f, Mode.NEAREST, CoordinateMode.ASYMMETRIC, NearestMode.FLOOR, -0.75f, false);
        assertEquals(2, asymmetric.repeatFactor(7, 14, 2f));
        ResizeSpec halfPixel = new ResizeSpec(15, 15, 3f, 3f, Mode.NEAREST, CoordinateMode.HALF_PIXEL, NearestMode.ROUND_PREFER_FLOOR,
                -0.75f, false);
        assertEquals(3, halfPixel.repeatFactor(5, 15, 3f));
        // align_corners stretches the input to the output's ends: 5 -> 15 reads 0,0,1,1,1,1,2,... not 0,0,0,1,1,1,2,...
        ResizeSpec corners = new ResizeSpec(15, 15, 3f, 3f, Mode.NEAREST, CoordinateMode.ALIGN_CORNERS, NearestMode.ROUND_PREFER_FLOOR,
                -0.75f, false);
        assertEquals(0, corners.repeatFactor(5, 15, 3f));
        ResizeSpec linear = new ResizeSpec(10, 10, 2f, 2f, Mode.LINEAR, CoordinateMode.ASYMMETRIC, NearestMode.FLOOR, -0.75f, false);
        assertEquals(0, linear.repeatFactor(5, 10, 2f));
        assertEquals(0, asymmetric.repeatFactor(5, 9, 1.8f));
    }

    @Test
    void nearest() {
        check("test_resize_upsample_scales_nearest", X22, 2, 2, 4, 6, 2f, 3f, Mode.NEAREST, HP, RPF, -0.75f, false,
                new float[] {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
        check("test_resize_downsample_scales_nearest", X24, 2, 4, 1, 2, 0.6f, 0.6f, Mode.NEAREST, HP, RPF, -0.75f, false,
                new float[] {1, 3});
        check("test_resize_downsample_sizes_nearest", X24, 2, 4, 1, 3, 1 / 2f, 3 / 4f, Mode.NEAREST, HP, RPF, -0.75f, false,
                new float[] {1, 2, 4});
        float[] ceilHalfPixel = {1, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 7, 7, 8, 8, 8, 5, 6, 6, 7, 7, 8, 8, 8, 9, 10, 10, 11, 11,
            12, 12, 12, 9, 10, 10, 11, 11, 12, 12, 12, 13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16, 13,
            14, 14, 15, 15, 16, 16, 16};
        check("test_resize_upsample_sizes_nearest_ceil_half_pixel", X4, 4, 4, 8, 8, 2f, 2f, Mode.NEAREST, HP,
                NearestMode.CEIL, -0.75f, false, ceilHalfPixel);
        // the same table: asymmetric o/2 with x.5 rounded up equals ceil of the half-pixel coordinate here
        check("test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric", X4, 4, 4, 8, 8, 2f, 2f, Mode.NEAREST,
                CoordinateMode.ASYMMETRIC, NearestMode.ROUND_PREFER_CEIL, -0.75f, false, ceilHalfPixel);
        check("test_resize_upsample_sizes_nearest_floor_align_corners", X4, 4, 4, 8, 8, 2f, 2f, Mode.NEAREST,
                CoordinateMode.ALIGN_CORNERS, NearestMode.FLOOR, -0.75f, false,
                new float[] {1, 1, 1, 2, 2, 3, 3, 4, 1, 1, 1, 2, 2, 3, 3, 4, 1, 1, 1, 2, 2, 3, 3, 4, 5, 5, 5, 6, 6, 7, 7, 8,
                    5, 5, 5, 6, 6, 7, 7, 8, 9, 9, 9, 10, 10, 11, 11, 12, 9, 9, 9, 10, 10, 11, 11, 12, 13, 13, 13, 14, 14,
                    15, 15, 16});
    }

    @Test
    void nearestTiesFollowTheMode() {
        // asymmetric, scale 2: coordinates 0, 0.5, 1, 1.5 over x = {10, 20}
        ResizeSpec floor = new ResizeSpec(1, 4, 1f, 2f, Mode.NEAREST, CoordinateMode.ASYMMETRIC, RPF, -0.75f, false);
        ResizeSpec ceil = new ResizeSpec(1, 4, 1f, 2f, Mode.NEAREST, CoordinateMode.ASYMMETRIC,
                NearestMode.ROUND_PREFER_CEIL, -0.75f, false);
        try (Tensor t = cpu.upload(new float[] {10, 20}, 1, 1, 1, 2); Tensor a = cpu.resize(t, floor);
             Tensor b = cpu.resize(t, ceil)) {
            assertArrayEquals(new float[] {10, 10, 20, 20}, cpu.download(a), "x.5 rounds down");
            assertArrayEquals(new float[] {10, 20, 20, 20}, cpu.download(b), "x.5 rounds up (then clamps)");
        }
        assertEquals(-1, ResizeSpec.nearestIndex(-0.6f, RPF));
        assertEquals(-1, ResizeSpec.nearestIndex(-0.5f, NearestMode.ROUND_PREFER_FLOOR));
        assertEquals(0, ResizeSpec.nearestIndex(-0.5f, NearestMode.ROUND_PREFER_CEIL));
    }

    @Test
    void linear() {
        check("test_resize_upsample_scales_linear", X22, 2, 2, 4, 4, 2f, 2f, Mode.LINEAR, HP, RPF, -0.75f, false,
                new float[] {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4});
        check("test_resize_upsample_scales_linear_align_corners", X22, 2, 2, 4, 4, 2f, 2f, Mode.LINEAR,
                CoordinateMode.ALIGN_CORNERS, RPF, -0.75f, false,
                new float[] {1f, 1.3333333730697632f, 1.6666666269302368f, 2f, 1.6666666269302368f, 2f, 2.3333332538604736f,
                    2.6666667461395264f, 2.3333332538604736f, 2.6666667461395264f, 3f, 3.3333332538604736f, 3f,
                    3.3333332538604736f, 3.6666667461395264f, 4f});
        check("test_resize_downsample_scales_linear", X24, 2, 4, 1, 2, 0.6f, 0.6f, Mode.LINEAR, HP, RPF, -0.75f, false,
                new float[] {2.6666665077209473f, 4.3333330154418945f});
        check("test_resize_downsample_sizes_linear_pytorch_half_pixel", X4, 4, 4, 3, 1, 3 / 4f, 1 / 4f, Mode.LINEAR,
                CoordinateMode.PYTORCH_HALF_PIXEL, RPF, -0.75f, false,
                new float[] {1.6666666269302368f, 7f, 12.333333015441895f});
        check("test_resize_downsample_scales_linear_half_pixel_symmetric", new float[] {1, 2, 3, 4}, 1, 4, 1, 2, 1f, 0.6f,
                Mode.LINEAR, CoordinateMode.HALF_PIXEL_SYMMETRIC, RPF, -0.75f, false,
                new float[] {1.6666667461395264f, 3.3333332538604736f});
        check("test_resize_upsample_scales_linear_half_pixel_symmetric", X22, 2, 2, 4, 5, 2.3f, 2.94f, Mode.LINEAR,
                CoordinateMode.HALF_PIXEL_SYMMETRIC, RPF, -0.75f, false,
                new float[] {1f, 1.1598639488220215f, 1.5f, 1.8401360511779785f, 2f, 1.56521737575531f, 1.7250813245773315f,
                    2.0652174949645996f, 2.405353546142578f, 2.5652174949645996f, 2.4347825050354004f, 2.594646453857422f,
                    2.9347825050354004f, 3.274918556213379f, 3.4347825050354004f, 3f, 3.1598639488220215f, 3.5f,
                    3.8401360511779785f, 4f});
    }

    @Test
    void cubic() {
        check("test_resize_upsample_scales_cubic", X4, 4, 4, 8, 8, 2f, 2f, Mode.CUBIC, HP, RPF, -0.75f, false,
                new float[] {0.47265625f, 0.76953125f, 1.24609375f, 1.875f, 2.28125f, 2.91015625f, 3.38671875f, 3.68359375f,
                    1.66015625f, 1.95703125f, 2.43359375f, 3.0625f, 3.46875f, 4.09765625f, 4.57421875f, 4.87109375f,
                    3.56640625f, 3.86328125f, 4.33984375f, 4.96875f, 5.375f, 6.00390625f, 6.48046875f, 6.77734375f,
                    6.08203125f, 6.37890625f, 6.85546875f, 7.484375f, 7.890625f, 8.51953125f, 8.99609375f, 9.29296875f,
                    7.70703125f, 8.00390625f, 8.48046875f, 9.109375f, 9.515625f, 10.14453125f, 10.62109375f, 10.91796875f,
                    10.22265625f, 10.51953125f, 10.99609375f, 11.625f, 12.03125f, 12.66015625f, 13.13671875f, 13.43359375f,
                    12.12890625f, 12.42578125f, 12.90234375f, 13.53125f, 13.9375f, 14.56640625f, 15.04296875f, 15.33984375f,
                    13.31640625f, 13.61328125f, 14.08984375f, 14.71875f, 15.125f, 15.75390625f, 16.23046875f, 16.52734375f});
        check("test_resize_downsample_scales_cubic", X4, 4, 4, 3, 3, 0.8f, 0.8f, Mode.CUBIC, HP, RPF, -0.75f, false,
                new float[] {1.47119140625f, 2.78125f, 4.08251953125f, 6.71142578125f, 8.021484375f, 9.32275390625f,
                    11.91650390625f, 13.2265625f, 14.52783203125f});
        check("test_resize_upsample_scales_cubic_asymmetric", X4, 4, 4, 8, 8, 2f, 2f, Mode.CUBIC,
                CoordinateMode.ASYMMETRIC, RPF, -0.75f, false,
                new float[] {1f, 1.40625f, 2f, 2.5f, 3f, 3.59375f, 4f, 4.09375f, 2.625f, 3.03125f, 3.625f, 4.125f, 4.625f,
                    5.21875f, 5.625f, 5.71875f, 5f, 5.40625f, 6f, 6.5f, 7f, 7.59375f, 8f, 8.09375f, 7f, 7.40625f, 8f, 8.5f,
                    9f, 9.59375f, 10f, 10.09375f, 9f, 9.40625f, 10f, 10.5f, 11f, 11.59375f, 12f, 12.09375f, 11.375f,
                    11.78125f, 12.375f, 12.875f, 13.375f, 13.96875f, 14.375f, 14.46875f, 13f, 13.40625f, 14f, 14.5f, 15f,
                    15.59375f, 16f, 16.09375f, 13.375f, 13.78125f, 14.375f, 14.875f, 15.375f, 15.96875f, 16.375f,
                    16.46875f});
        check("test_resize_upsample_scales_cubic_A_n0p5_exclude_outside", X4, 4, 4, 8, 8, 2f, 2f, Mode.CUBIC, HP, RPF,
                -0.5f, true,
                new float[] {0.5588235259056091f, 0.8149420619010925f, 1.3569824695587158f, 1.8970588445663452f,
                    2.3970587253570557f, 2.9371352195739746f, 3.479175567626953f, 3.7352941036224365f, 1.583297610282898f,
                    1.8394160270690918f, 2.3814566135406494f, 2.9215328693389893f, 3.4215328693389893f, 3.961609125137329f,
                    4.503649711608887f, 4.759768009185791f, 3.7514593601226807f, 4.007577896118164f, 4.549618244171143f,
                    5.089694499969482f, 5.589694499969482f, 6.129770755767822f, 6.671811580657959f, 6.927929878234863f,
                    5.911764621734619f, 6.167883396148682f, 6.70992374420166f, 7.25f, 7.75f, 8.29007625579834f,
                    8.832117080688477f, 9.088234901428223f, 7.911764621734619f, 8.167882919311523f, 8.70992374420166f,
                    9.25f, 9.75f, 10.29007625579834f, 10.832117080688477f, 11.088234901428223f, 10.072070121765137f,
                    10.3281888961792f, 10.87022876739502f, 11.41030502319336f, 11.91030502319336f, 12.4503812789917f,
                    12.992422103881836f, 13.248540878295898f, 12.24023151397705f, 12.496350288391113f, 13.03839111328125f,
                    13.57846736907959f, 14.07846736907959f, 14.61854362487793f, 15.16058349609375f, 15.416702270507812f,
                    13.264705657958984f, 13.520824432373047f, 14.062865257263184f, 14.602941513061523f,
                    15.102941513061523f, 15.643017768859863f, 16.18505859375f, 16.441177368164062f});
        check("test_resize_downsample_scales_cubic_A_n0p5_exclude_outside", X4, 4, 4, 3, 3, 0.8f, 0.8f, Mode.CUBIC, HP,
                RPF, -0.5f, true,
                new float[] {1.3681267499923706f, 2.669501304626465f, 4.013336658477783f, 6.573625087738037f, 7.875f,
                    9.21883487701416f, 11.948966026306152f, 13.250341415405273f, 14.594176292419434f});
        check("test_resize_upsample_scales_cubic_align_corners", X4, 4, 4, 8, 8, 2f, 2f, Mode.CUBIC,
                CoordinateMode.ALIGN_CORNERS, RPF, -0.75f, false,
                new float[] {1f, 1.3411078453063965f, 1.8002915382385254f, 2.3294460773468018f, 2.6705539226531982f,
                    3.1997084617614746f, 3.6588921546936035f, 4f, 2.364431381225586f, 2.7055394649505615f,
                    3.1647229194641113f, 3.6938774585723877f, 4.034985542297363f, 4.5641398429870605f, 5.0233235359191895f,
                    5.364431381225586f, 4.201166152954102f, 4.542273998260498f, 5.001457691192627f, 5.530612468719482f,
                    5.871720314025879f, 6.400874614715576f, 6.860058307647705f, 7.201166152954102f, 6.317784309387207f,
                    6.6588921546936035f, 7.118075847625732f, 7.64723014831543f, 7.988337993621826f, 8.517492294311523f,
                    8.976675987243652f, 9.317784309387207f, 7.682215690612793f, 8.023324012756348f, 8.482507705688477f,
                    9.011661529541016f, 9.35276985168457f, 9.881924629211426f, 10.341108322143555f, 10.682215690612793f,
                    9.798833847045898f, 10.139941215515137f, 10.599124908447266f, 11.128279685974121f, 11.469388008117676f,
                    11.998541831970215f, 12.457725524902344f, 12.798833847045898f, 11.635568618774414f,
                    11.976675987243652f, 12.435859680175781f, 12.965014457702637f, 13.306122779846191f, 13.83527660369873f,
                    14.29446029663086f, 14.635568618774414f, 13f, 13.341108322143555f, 13.800292015075684f,
                    14.329445838928223f, 14.670554161071777f, 15.199707984924316f, 15.658891677856445f, 16f});
    }

    @Test
    void resizeRunsPerPlaneOverBatchAndChannels() {
        // two planes of the same 2x2 input, each upsampled independently
        float[] x = {1, 2, 3, 4, 10, 20, 30, 40};
        ResizeSpec s = new ResizeSpec(4, 4, 2f, 2f, Mode.LINEAR, HP, RPF, -0.75f, false);
        try (Tensor t = cpu.upload(x, 2, 1, 2, 2); Tensor y = cpu.resize(t, s)) {
            float[] out = cpu.download(y);
            float[] first = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
            for (int i = 0; i < 16; i++) {
                assertEquals(first[i], out[i], 1e-6);
                assertEquals(10 * first[i], out[16 + i], 1e-5);
            }
        }
    }
    @Test
    void doublingWithoutIndexTablesMatchesTheFormula() {
        // 2x linear up-sampling takes a path that reads each pair of source columns in order (CpuResize.doubled);
        // against ONNX's formula written out here, on wide rows: half-pixel and align-corners take that path, asymmetric does not
        java.util.Random r = new java.util.Random(11);
        int h = 5, w = 37;
        float[] x = new float[2 * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (CoordinateMode cm : new CoordinateMode[] {HP, CoordinateMode.ALIGN_CORNERS, CoordinateMode.ASYMMETRIC}) {
            ResizeSpec s = new ResizeSpec(2 * h, 2 * w, 2f, 2f, Mode.LINEAR, cm, RPF, -0.75f, false);
            float[] expected = new float[2 * 4 * h * w];
            for (int pl = 0; pl < 2; pl++) {
                for (int oy = 0; oy < 2 * h; oy++) {
                    for (int ox = 0; ox < 2 * w; ox++) {
                        float cy = Math.max(0f, Math.min(h - 1, ResizeSpec.sourceCoordinate(cm, oy, h, 2 * h, 2f)));
                        float cx = Math.max(0f, Math.min(w - 1, ResizeSpec.sourceCoordinate(cm, ox, w, 2 * w, 2f)));
                        int y0 = (int) Math.floor(cy), x0 = (int) Math.floor(cx);
                        int y1 = Math.min(y0 + 1, h - 1), x1 = Math.min(x0 + 1, w - 1);
                        float ry = cy - y0, rx = cx - x0;
                        int b = pl * h * w;
                        float top = (1 - rx) * x[b + y0 * w + x0] + rx * x[b + y0 * w + x1];
                        float bottom = (1 - rx) * x[b + y1 * w + x0] + rx * x[b + y1 * w + x1];
                        expected[(pl * 2 * h + oy) * 2 * w + ox] = (1 - ry) * top + ry * bottom;
                    }
                }
            }
            try (Tensor t = cpu.upload(x, 1, 2, h, w); Tensor y = cpu.resize(t, s)) {
                assertClose(expected, cpu.download(y), 1e-6, 1e-6, "2x linear, " + cm);
            }
        }
    }
}
