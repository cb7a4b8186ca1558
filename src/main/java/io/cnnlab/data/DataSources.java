package io.cnnlab.data;

import io.cnnlab.UserException;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Turns the user's {@code --data} (or {@code CNNLAB_DATA}, or nothing) into decoded CIFAR data:
 * <ul>
 *   <li>nothing: the official binary release, downloaded once into the cache folder, verified and
 *       extracted atomically;</li>
 *   <li>an http(s) URL: downloaded into the cache folder (verified when it is the official one);</li>
 *   <li>the binary tarball, or its extracted {@code cifar-10-batches-bin/} folder;</li>
 *   <li>an image tree {@code train/<class>/*}, {@code test/<class>/*}, as a folder, .tar.gz or .zip.</li>
 * </ul>
 * Whatever the source, its decoded form is cached under {@code <home>/cache}, keyed by the source's
 * path, size and modification time, so later runs load it in a fraction of a second.
 */
public final class DataSources {
    public static final String OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    public static final String OFFICIAL_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
    public static final String DATA_ENV = "CNNLAB_DATA";
    public static final String HOME_ENV = "CNNLAB_HOME";

    /** What a load did, for the user's log and the benchmarks. */
    public record Loaded(CifarData data, String source, boolean fromCache, double seconds) {
    }

    private final Path home;
    private final String officialUrl;
    private final String officialMd5;

    public DataSources(Path home) {
        this(home, OFFICIAL_URL, OFFICIAL_MD5);
    }

    /** With another URL standing for the official release (a mirror; or a test server). */
    public DataSources(Path home, String officialUrl, String officialMd5) {
        this.home = home;
        this.officialUrl = officialUrl;
        this.officialMd5 = officialMd5;
    }

    /** The cache folder: {@code CNNLAB_HOME}, else system property {@code cnnlab.home}, else {@code ~/.cnnlab}. */
    public static Path defaultHome() {
        String env = System.getenv(HOME_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("cnnlab.home", System.getProperty("user.home") + "/.cnnlab"));
    }

    /** {@code --data} if given, else {@code CNNLAB_DATA}, else the official download URL. */
    public static String resolveSpec(String data) {
        if (data != null && !data.isBlank()) {
            return data;
        }
        String env = System.getenv(DATA_ENV);
        return env != null && !env.isBlank() ? env : OFFICIAL_URL;
    }

    public Path home() {
        return home;
    }

    public Loaded load(String spec) {
        return load(spec, null);
    }

    /**
     * The data at {@code spec} reduced to {@code classes} ({@link CifarData#select}; {@code null} for all of
     * it). From the decoded cache only the selected images are read.
     */
    public Loaded load(String spec, List<String> classes) {
        long t0 = System.nanoTime();
        Path local = localPath(spec);
        String key = sourceKey(local);
        Path cacheFile = home.resolve("cache").resolve("decoded-" + sha1(key).substring(0, 16) + ".bin");
        var cached = DecodedCache.load(cacheFile, key, classes);
        if (cached.isPresent()) {
            CifarData data = classes == null ? cached.get() : cached.get().select(classes);
            return new Loaded(data, local.toString(), true, (System.nanoTime() - t0) / 1e9);
        }
        CifarData data = decode(local);
        try {
            DecodedCache.save(data, key, cacheFile);
            DecodedCache.deleteSuperseded(cacheFile, sourcePrefix(local));
        } catch (IOException e) {
            System.err.println("cnnlab: could not write the decoded-data cache " + cacheFile + " (" + e.getMessage()
                    + "); the next run will decode again");
        }
        return new Loaded(classes == null ? data : data.select(classes), local.toString(), false,
                (System.nanoTime() - t0) / 1e9);
    }

    /** Decodes a local folder or archive, choosing the reader from what it holds. */
    public static CifarData decode(Path local) {
        List<ArchiveEntries.Entry> entries = ArchiveEntries.read(local,
                p -> BinaryCifarReader.isBinaryFile(p) || ImageDecoder.isImageFile(p), ArchiveEntries.Limits.DEFAULT);
        boolean binary = entries.stream().anyMatch(e -> e.fileName().endsWith(".bin"));
        return binary ? BinaryCifarReader.read(entries, local.toString()) : ImageTreeReader.read(entries, local.toString());
    }

    private Path localPath(String spec) {
        if (spec.startsWith("http://") || spec.startsWith("https://")) {
            URI uri;
            try {
                uri = URI.create(spec);
            } catch (IllegalArgumentException e) {
                throw new UserException("malformed URL '" + spec + "'");
            }
            String name = Path.of(uri.getPath()).getFileName() == null ? "download" : Path.of(uri.getPath()).getFileName().toString();
            boolean official = spec.equals(officialUrl);
            // The URL is part of the file's name: two URLs that end in the same file name are two downloads.
            Path file = Downloader.fetch(uri, home.resolve("downloads").resolve(sha1(spec).substring(0, 12) + "-" + name),
                    official ? officialMd5 : null);
            if (official) {
                return SafeExtractor.extractTarGz(file, home.resolve("cifar-10-binary"), ArchiveEntries.Limits.DEFAULT)
                        .resolve("cifar-10-batches-bin");
            }
            return file;
        }
        Path p = Path.of(spec);
        if (!Files.exists(p)) {
            throw new UserException("data path " + p + " does not exist; pass --data with the CIFAR-10 binary tarball, "
                    + "its cifar-10-batches-bin folder, or an image tree (train/<class>/*, test/<class>/*) or its .tar.gz/.zip");
        }
        if (!Files.isReadable(p)) {
            throw new UserException("data path " + p + " is not readable; check its permissions");
        }
        return p.toAbsolutePath().normalize();
    }

    /** Path plus a digest of the size and modification time of the source (of every file, for a folder). */
    static String sourceKey(Path local) {
        try {
            StringBuilder sb = new StringBuilder();
            if (Files.isDirectory(local)) {
                try (Stream<Path> files = Files.walk(local)) {
                    for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                        appendStat(sb.append('|').append(local.relativize(f)), f);
                    }
                }
            } else {
                appendStat(sb, local);
            }
            return sourcePrefix(local) + sha1(sb.toString());
        } catch (IOException e) {
            throw new UserException("cannot read " + local + ": " + e.getMessage());
        }
    }

    /** The start of {@link #sourceKey}: the part that names the source, without the digest of its state. */
    static String sourcePrefix(Path local) {
        return "v1|" + local + "|";
    }

    private static void appendStat(StringBuilder sb, Path f) throws IOException {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        sb.append(':').append(a.size()).append(':').append(a.lastModifiedTime().toMillis());
    }

    static String sha1(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
