package io.cnnlab.spark;

import io.cnnlab.UserException;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.DataSources;
import org.apache.spark.SparkFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The data set of an executor JVM, decoded once per application and shared by the tasks it runs (in local mode, by the
 * driver's task threads). A file comes through Spark ({@code SparkContext.addFile}), a URL is downloaded
 * by the executor itself; either way into Spark's per-application folder, which Spark removes.
 */
final class ExecutorData {
    private static String key;
    private static DataSources.Loaded loaded;

    private ExecutorData() {
    }

    /** The shipped data under its own name (the readers know archives by their names). */
    private static Path local(String name) {
        Path folder = Path.of(SparkFiles.get(name));
        if (Files.isDirectory(folder)) {
            return folder;
        }
        Path shipped = Path.of(SparkFiles.get(name + SparkCompare.SHIPPED));
        if (!Files.isRegularFile(shipped)) {
            throw new UserException("the data " + name + " did not reach this executor (no " + shipped + ")");
        }
        try {
            Path local = Files.createDirectories(Path.of(SparkFiles.getRootDirectory(), "cnnlab-data")).resolve(name);
            if (!Files.exists(local)) {
                Files.createSymbolicLink(local, shipped);
            }
            return local;
        } catch (IOException e) {
            throw new UserException("cannot link the data " + shipped + " on this executor (" + e.getMessage() + ")");
        }
    }

    static synchronized DataSources.Loaded get(RunTask task) {
        // Spark's file folder is the application's: a later application's file of the same name is new data.
        String k = SparkFiles.getRootDirectory() + "|" + task.dataFile() + "|" + task.dataUrl() + "|" + task.dataset();
        if (!k.equals(key)) {
            loaded = null; // one data set per executor: a new one replaces the last
            long t0 = System.nanoTime();
            DataSources.Loaded all;
            if (task.dataFile() != null) {
                Path local = local(task.dataFile());
                CifarData data = DataSources.decode(local);
                all = new DataSources.Loaded(data, local.toString(), false, (System.nanoTime() - t0) / 1e9);
            } else {
                all = new DataSources(Path.of(SparkFiles.getRootDirectory(), "cnnlab-home")).load(task.dataUrl(),
                        CifarData.classesOf(task.dataset()));
            }
            loaded = new DataSources.Loaded(all.data().select(CifarData.classesOf(task.dataset())), all.source(),
                    all.fromCache(), all.seconds());
            key = k;
        }
        return loaded;
    }
}
