package io.cnnlab.data;

import com.sun.net.httpserver.HttpServer;
import io.cnnlab.UserException;
import io.cnnlab.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real download code against an HTTP server on 127.0.0.1 serving a binary release the test built. */
class DownloaderTest {
    @TempDir
    Path tmp;
    private HttpServer server;
    private final AtomicReference<byte[]> served = new AtomicReference<>();
    private final AtomicInteger requests = new AtomicInteger();
    private byte[] tarball;
    private String url;

    @BeforeEach
    void start() throws IOException {
        TestImages.binaryRelease(tmp.resolve("src"));
        tarball = Files.readAllBytes(TestImages.tarGz(tmp.resolve("src"), tmp.resolve("release.tar.gz"), ""));
        served.set(tarball);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/cifar-10-binary.tar.gz", ex -> {
            requests.incrementAndGet();
            byte[] body = served.get();
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort() + "/cifar-10-binary.tar.gz";
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String md5Of(byte[] bytes) throws IOException {
        Path f = Files.write(tmp.resolve("md5-probe"), bytes);
        return Downloader.md5(f);
    }

    @Test
    void downloadsVerifiesExtractsAndCaches() throws IOException {
        Path home = tmp.resolve("home");
        DataSources sources = new DataSources(home, url, md5Of(tarball));
        DataSources.Loaded first = sources.load(url);
        assertFalse(first.fromCache());
        assertEquals(15, first.data().train().size());
        assertEquals(4, first.data().test().size());
        assertTrue(Files.isRegularFile(home.resolve("cifar-10-binary/cifar-10-batches-bin/test_batch.bin")));

        DataSources.Loaded second = sources.load(url);
        assertTrue(second.fromCache());
        assertEquals(1, requests.get(), "downloaded once");
        assertEquals(first.data().train().labels().length, second.data().train().labels().length);
    }

    @Test
    void wrongChecksumIsRejectedAndLeavesNothingBehind() throws IOException {
        Path home = tmp.resolve("home");
        byte[] corrupt = tarball.clone();
        corrupt[corrupt.length / 2] ^= 0x55;
        served.set(corrupt);
        DataSources sources = new DataSources(home, url, md5Of(tarball));
        UserException e = assertThrows(UserException.class, () -> sources.load(url));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        try (Stream<Path> left = Files.walk(home)) {
            assertEquals(0, left.filter(Files::isRegularFile).count(), "no partial or unverified file is kept");
        }

        served.set(tarball);
        assertEquals(15, sources.load(url).data().train().size(), "the next run repairs it");
    }

    @Test
    void corruptFileInTheCacheIsReplaced() throws IOException {
        Path home = tmp.resolve("home");
        Path dest = Files.createDirectories(home.resolve("downloads")).resolve("cifar-10-binary.tar.gz");
        Files.write(dest, new byte[] {1, 2, 3});
        Downloader.fetch(java.net.URI.create(url), dest, md5Of(tarball));
        assertEquals(md5Of(tarball), Downloader.md5(dest));
    }

    @Test
    void twoUrlsEndingInTheSameFileNameAreTwoDownloads() throws IOException {
        TestImages.tree(tmp.resolve("tree"), new String[] {"airplane", "bird"}, 3, 2);
        byte[] imageTree = Files.readAllBytes(TestImages.tarGz(tmp.resolve("tree"), tmp.resolve("tree.tar.gz"), ""));
        server.createContext("/other/cifar-10-binary.tar.gz", ex -> {
            ex.sendResponseHeaders(200, imageTree.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(imageTree);
            }
        });
        String other = url.replace("/cifar-10-binary.tar.gz", "/other/cifar-10-binary.tar.gz");
        DataSources sources = new DataSources(tmp.resolve("home"), "http://127.0.0.1:1/official", "00");
        assertEquals(15, sources.load(url).data().train().size());
        DataSources.Loaded second = sources.load(other);
        assertFalse(second.fromCache(), "not the first URL's cached file");
        assertEquals(6, second.data().train().size(), "the second URL's own data");
        assertEquals(15, sources.load(url).data().train().size(), "the first URL still gives its own");
    }

    @Test
    void refusedConnectionIsAClearError() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + port + "/cifar-10-binary.tar.gz";
        UserException e = assertThrows(UserException.class,
                () -> new DataSources(tmp.resolve("home"), dead, "00").load(dead));
        assertTrue(e.getMessage().contains("cannot reach") && e.getMessage().contains("--data"), e.getMessage());
    }
}
