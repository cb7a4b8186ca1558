package io.cnnlab.data;

import io.cnnlab.UserException;
import io.cnnlab.util.Progress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Downloads a file once into a cache folder, verified: the bytes go to a temporary file whose MD5 is
 * computed on the way, and only a file with the expected checksum is renamed into place. An
 * interrupted or corrupt download is therefore never used; a corrupt file found in place is deleted
 * and fetched again.
 */
public final class Downloader {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(20))
            .build();

    private Downloader() {
    }

    /** Returns {@code dest}, downloading {@code uri} into it first unless a verified copy is there. */
    public static Path fetch(URI uri, Path dest, String expectedMd5) {
        if (Files.isRegularFile(dest)) {
            if (expectedMd5 == null || expectedMd5.equalsIgnoreCase(md5(dest))) {
                return dest;
            }
            System.err.println("cnnlab: " + dest + " fails its checksum; downloading it again");
            try {
                Files.delete(dest);
            } catch (IOException e) {
                throw new UserException("cannot replace corrupt download " + dest + ": " + e.getMessage());
            }
        }
        Path tmp = null;
        try {
            Files.createDirectories(dest.getParent());
            tmp = Files.createTempFile(dest.getParent(), dest.getFileName().toString(), ".part");
            HttpResponse<InputStream> response = CLIENT.send(HttpRequest.newBuilder(uri).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw new UserException("cannot download " + uri + ": the server answered HTTP " + response.statusCode()
                        + "; check the URL, or pass --data with a local copy");
            }
            long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(tmp);
                 Progress bar = Progress.bytes("Downloading " + dest.getFileName(), length)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    md5.update(buf, 0, n);
                    bar.step(n);
                }
            }
            String actual = HexFormat.of().formatHex(md5.digest());
            if (expectedMd5 != null && !expectedMd5.equalsIgnoreCase(actual)) {
                throw new UserException("checksum mismatch for " + uri + ": expected MD5 " + expectedMd5 + ", got "
                        + actual + "; the download was discarded, run again to retry");
            }
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
            return dest;
        } catch (ConnectException e) {
            throw new UserException("cannot reach " + uri + " (connection refused or no network); "
                    + "pass --data with a local copy of CIFAR-10");
        } catch (IOException e) {
            throw new UserException("download of " + uri + " failed: " + e
                    + "; run again to retry, or pass --data with a local copy");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserException("download of " + uri + " was interrupted");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover *.part file is never read: only the renamed file counts
                }
            }
        }
    }

    public static String md5(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md5.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md5.digest());
        } catch (IOException e) {
            throw new UserException("cannot read " + file + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
