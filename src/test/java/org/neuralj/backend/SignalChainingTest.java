package org.neuralj.backend;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PoCL's LLVM replaces the JVM's SIGSEGV handler; NeuralJ warns when PoCL is present on Linux and the
 * JDK's libjsig is not preloaded, and the test JVMs themselves run with it (pom: LD_PRELOAD). It also advises
 * POCL_AFFINITY=1 where PoCL is present and the variable unset.
 */
class SignalChainingTest {
    private static final DeviceInfo POCL = new DeviceInfo(0, "Portable Computing Language", "cpu-x86-64", "AuthenticAMD", "CPU", 2,
            1L << 30, 1L << 28, "OpenCL 3.0 PoCL");
    private static final DeviceInfo GPU = new DeviceInfo(0, "NVIDIA CUDA", "H100", "NVIDIA", "GPU", 132, 80L << 30, 20L << 30,
            "OpenCL 3.0 CUDA");

    @Test
    void warnsOnlyForPoclOnLinuxWithoutLibjsig(@TempDir Path dir) throws Exception {
        Path without = Files.writeString(dir.resolve("maps-plain"), "7f00 r-xp /usr/lib/jvm/lib/server/libjvm.so\n");
        Path with = Files.writeString(dir.resolve("maps-jsig"), "7f00 r-xp /usr/lib/jvm/lib/libjsig.so\n");
        String w = Backends.signalChainingWarning(List.of(POCL), "Linux", without);
        assertNotNull(w);
        assertTrue(w.contains("LD_PRELOAD=") && w.contains("libjsig.so"), w);
        assertNull(Backends.signalChainingWarning(List.of(POCL), "Linux", with));
        assertNull(Backends.signalChainingWarning(List.of(GPU), "Linux", without));
        assertNull(Backends.signalChainingWarning(List.of(POCL), "Mac OS X", without));
        assertNull(Backends.signalChainingWarning(List.of(), "Linux", without));
    }

    @Test
    void advisesPinningPoclThreadsOnlyWhereUnset() {
        String a = Backends.affinityAdvice(List.of(POCL), null);
        assertNotNull(a);
        assertTrue(a.contains("POCL_AFFINITY=1"), a);
        assertNull(Backends.affinityAdvice(List.of(POCL), "0"), "the user chose: no advice");
        assertNull(Backends.affinityAdvice(List.of(POCL), "1"));
        assertNull(Backends.affinityAdvice(List.of(GPU), null));
    }

    @Test
    void theTestJvmRunsWithSignalChaining() throws Exception {
        Path maps = Path.of("/proc/self/maps");
        if (System.getProperty("os.name").toLowerCase().contains("linux") && Files.exists(maps)) {
            assertTrue(Files.readString(maps).contains("libjsig"), "the pom preloads libjsig for test JVMs (surefire LD_PRELOAD)");
        }
    }
}
