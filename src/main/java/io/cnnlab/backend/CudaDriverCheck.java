package io.cnnlab.backend;

import io.cnnlab.UserException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The start-up check of the CUDA build ({@code -Pcuda}): when ND4J's only backend on the class path is
 * CUDA and the NVIDIA driver's {@code libcuda.so.1} is nowhere the dynamic loader looks, cnnlab stops
 * with one line before ND4J starts, instead of ND4J's page of {@code UnsatisfiedLinkError} traces.
 * It reads only service files and folders, so it loads no ND4J class.
 */
public final class CudaDriverCheck {
    static final String BACKEND_SERVICE = "META-INF/services/org.nd4j.linalg.factory.Nd4jBackend";
    static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";
    static final String CPU_BACKEND = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";
    static final String DRIVER = "libcuda.so.1";

    private CudaDriverCheck() {
    }

    /** Fails with a {@link UserException} when the CUDA build runs where the NVIDIA driver is missing. */
    public static void require() {
        Set<String> backends = declaredBackends(CudaDriverCheck.class.getClassLoader());
        if (!backends.contains(CUDA_BACKEND) || backends.contains(CPU_BACKEND)) {
            return;
        }
        List<Path> dirs = libraryDirs();
        if (dirs.stream().noneMatch(d -> Files.exists(d.resolve(DRIVER)))) {
            throw new UserException("this is cnnlab's CUDA build (-Pcuda), but the NVIDIA driver's " + DRIVER
                    + " is not installed (looked in LD_LIBRARY_PATH and the system library folders); install the NVIDIA"
                    + " driver on a machine with an NVIDIA GPU, or build without -Pcuda to run on the CPU");
        }
    }

    /** The backend classes that ND4J's service files on the class path declare. */
    static Set<String> declaredBackends(ClassLoader cl) {
        Set<String> names = new LinkedHashSet<>();
        try {
            for (Enumeration<URL> e = cl.getResources(BACKEND_SERVICE); e.hasMoreElements(); ) {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(e.nextElement().openStream(),
                        StandardCharsets.UTF_8))) {
                    r.lines().map(l -> l.replaceAll("#.*", "").trim()).filter(l -> !l.isEmpty()).forEach(names::add);
                }
            }
        } catch (IOException e) {
            return Set.of(); // unreadable: let ND4J report it
        }
        return names;
    }

    /**
     * Where the dynamic loader finds libraries: LD_LIBRARY_PATH, then the usual system folders; system property
     * {@code cnnlab.systemLibraryDirs} (colon-separated) replaces the latter, so a test sees a machine without
     * the driver wherever it runs.
     */
    static List<Path> libraryDirs() {
        List<Path> dirs = new ArrayList<>();
        String system = System.getProperty("cnnlab.systemLibraryDirs", "/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:"
                + "/usr/lib64:/lib64:/usr/lib:/lib:/usr/local/nvidia/lib64:/usr/local/cuda/lib64:/usr/lib/wsl/lib");
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        for (String d : system.split(":")) {
            if (!d.isBlank()) {
                dirs.add(Path.of(d));
            }
        }
        return dirs;
    }
}
