package io.cnnlab.spark;

import com.sun.net.httpserver.HttpServer;
import io.cnnlab.testing.Cli;
import io.cnnlab.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad Spark settings and data executors cannot read: each is one line naming the problem and the fix, exit
 * 2, and no --out folder (nothing had finished). The cluster short of memory is in {@link SparkCompareTest},
 * which has a cluster.
 */
class SparkBadInputTest {
    @TempDir
    Path tmp;

    private Cli.Result compare(Path data, String... more) {
        List<String> a = new ArrayList<>(List.of("compare", "--archs", "net", "--dataset", "cifar2", "--epochs", "1",
                "--seeds", "1", "--data", data.toString(), "--out", tmp.resolve("out").toString()));
        a.addAll(List.of(more));
        return Cli.run(a.toArray(String[]::new));
    }

    private Path data() throws Exception {
        return TestImages.tarGz(TestImages.tree(tmp.resolve("tree"), new String[] {"airplane", "bird"}, 8, 4),
                tmp.resolve("data.tar.gz"), "");
    }

    private void assertOneLine(Cli.Result r, String... parts) {
        assertEquals(2, r.code(), r.out() + r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), "one line: " + line);
        for (String p : parts) {
            assertTrue(line.contains(p), "'" + p + "' in: " + line);
        }
        assertFalse(Files.exists(tmp.resolve("out")), "no --out folder");
    }

    @Test
    void anUnreachableMaster() throws Exception {
        int port = StandaloneCluster.freePort(); // nothing listens there
        assertOneLine(compare(data(), "--spark", "spark://127.0.0.1:" + port), "cannot reach the Spark master at spark://127.0.0.1:"
                + port, "Connection refused", "start it");
    }

    @Test
    void aMasterUrlThatIsNotOne() throws Exception {
        assertOneLine(compare(data(), "--spark", "sparky://127.0.0.1:7077"), "'sparky://127.0.0.1:7077' is not a Spark master URL",
                "spark://host:port");
        assertOneLine(compare(data(), "--spark", "local[two]"), "is not a Spark master URL");
    }

    @Test
    void executorMemorySparkCannotStartWith() throws Exception {
        assertOneLine(compare(data(), "--spark", "local[1]", "--spark-conf", "spark.executor.memory=256m"),
                "spark.executor.memory 256m is below", "--spark-conf spark.executor.memory=1g");
    }

    @Test
    void sparkOptionsWithoutSpark() throws Exception {
        assertOneLine(compare(data(), "--checkpoint-dir", tmp.resolve("ckpt").toString()), "only with --spark");
    }

    @Test
    void dataTheDriverReadsButTheExecutorsCannot() throws Exception {
        byte[] tarball = Files.readAllBytes(data());
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/data.tar.gz", ex -> {
            // The driver's request gets the data; any later one (an executor's) is refused.
            boolean first = requests.incrementAndGet() == 1;
            ex.sendResponseHeaders(first ? 200 : 403, first ? tarball.length : -1);
            try (OutputStream out = ex.getResponseBody()) {
                if (first) {
                    out.write(tarball);
                }
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/data.tar.gz";
            Cli.Result r = Cli.run("compare", "--archs", "net", "--dataset", "cifar2", "--epochs", "1", "--seeds", "1",
                    "--data", url, "--out", tmp.resolve("out").toString(), "--spark", "local[1]");
            assertOneLine(r, "executor driver", "net seed 42", "403", "make --data reachable from every executor");
            assertEquals(2, requests.get(), "the driver's download and the executor's");
        } finally {
            server.stop(0);
        }
    }
}
