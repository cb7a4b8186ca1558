package io.cnnlab.testing;

import io.cnnlab.data.CifarData;
import io.cnnlab.data.DataSources;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real CIFAR-10 archive shared with this machine ({@code ../shared/data/cifar10-jpeg.tar.gz}, or
 * system property {@code cnnlab.testData}). Missing, it fails the test with the one-line reason, in
 * CI and out, unless the user opts out with {@code -Dcnnlab.skipRealData=true}: only then are the
 * real-data tests skipped, each with that reason. Decoded once per test JVM and cached under target/.
 */
public final class RealData {
    private static CifarData cifar10;

    private RealData() {
    }

    public static Path archive() {
        Path p = Path.of(System.getProperty("cnnlab.testData", "../shared/data/cifar10-jpeg.tar.gz"));
        if (!Files.isRegularFile(p)) {
            String msg = "real CIFAR-10 data not found at " + p.toAbsolutePath()
                    + "; set -Dcnnlab.testData=PATH to the cifar10-jpeg.tar.gz archive, or skip the tests that need it"
                    + " with -Dcnnlab.skipRealData=true";
            // The opt-out is for a developer without the data or browser; CI (CI=true) never skips.
            if (!Boolean.getBoolean("cnnlab.skipRealData") || "true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(msg);
            }
            System.err.println("SKIPPED (-Dcnnlab.skipRealData=true): " + msg);
            Assumptions.abort(msg);
        }
        return p;
    }

    public static synchronized CifarData cifar10() {
        if (cifar10 == null) {
            cifar10 = new DataSources(Path.of("target", "cnnlab-home")).load(archive().toString()).data();
        }
        return cifar10;
    }

    public static CifarData cifar2() {
        return cifar10().select(CifarData.CIFAR2_CLASSES);
    }
}
