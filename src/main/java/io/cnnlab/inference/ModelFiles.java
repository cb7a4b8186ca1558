package io.cnnlab.inference;

import io.cnnlab.UserException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Loads model zips without running Java deserialization on their bytes.
 *
 * <p>DL4J's {@code ModelSerializer.restoreComputationGraph} reads {@code configuration.json} with
 * Jackson (polymorphic types limited to DL4J's own interfaces), {@code coefficients.bin} and
 * {@code updaterState.bin} with ND4J's array format, but a {@code preprocessor.bin} entry, if present,
 * with {@code ObjectInputStream.readObject}: arbitrary code for a crafted file. cnnlab never writes
 * that entry, so zips holding anything beyond the four known entries are refused before DL4J sees them.
 */
public final class ModelFiles {
    /** How Jackson names a class it cannot find: "Could not resolve type id 'x.y.Z' ...", or a ClassNotFoundException. */
    private static final Pattern TYPE_ID = Pattern.compile("type id '([\\w.$]+)'");

    /** The entries ModelSerializer writes for a ComputationGraph, none of them read by Java deserialization. */
    static final Set<String> SAFE_ENTRIES = Set.of("configuration.json", "coefficients.bin", "updaterState.bin", "noParams.marker");

    private ModelFiles() {
    }

    /** The class a failed restore could not find, from the exception chain, or null. */
    static String missingClass(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ClassNotFoundException c) {
                return c.getMessage();
            }
            Matcher m = TYPE_ID.matcher(String.valueOf(t.getMessage()));
            if (m.find()) {
                return m.group(1);
            }
        }
        return null;
    }

    /** Restores a ComputationGraph from {@code zip} after checking its entries; clear errors for bad files. */
    public static ComputationGraph load(Path zip, boolean loadUpdater) {
        if (!Files.isRegularFile(zip)) {
            throw new UserException("model file " + zip + " does not exist; give the model.zip of a cnnlab run");
        }
        try (ZipFile z = new ZipFile(zip.toFile())) {
            boolean hasConfig = false;
            for (Enumeration<? extends ZipEntry> en = z.entries(); en.hasMoreElements(); ) {
                String name = en.nextElement().getName();
                if (!SAFE_ENTRIES.contains(name)) {
                    throw new UserException("model file " + zip + " holds an entry '" + name
                            + "' that cnnlab does not load (it could run code when deserialised); refusing it");
                }
                hasConfig |= name.equals("configuration.json");
            }
            if (!hasConfig) {
                throw new UserException("model file " + zip + " is not a DL4J model zip (no configuration.json)");
            }
        } catch (ZipException e) {
            throw new UserException("model file " + zip + " is corrupt or not a zip file (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UserException("cannot read model file " + zip + ": " + e.getMessage());
        }
        try {
            return ModelSerializer.restoreComputationGraph(zip.toFile(), loadUpdater);
        } catch (IOException | RuntimeException e) {
            String missing = missingClass(e);
            if (missing != null) {
                throw new UserException("model file " + zip + " names the class " + missing + ", which is not on the class"
                        + " path; add the jar that holds it (e.g. the program that wrote the model) to the class path");
            }
            throw new UserException("model file " + zip + " is corrupt or not a ComputationGraph ("
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
    }
}
