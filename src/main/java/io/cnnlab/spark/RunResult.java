package io.cnnlab.spark;

import java.io.Serializable;
import java.util.Map;

/**
 * What an executor sends back for one run: the run folder's result files by name ({@link SparkCompare#RUN_FILES}),
 * or the one-line reason it could not train the run ({@code error}), and where and how it ran.
 *
 * @param start          how the run came to be finished ({@link io.cnnlab.experiment.Comparison.Start}'s name)
 * @param resumedAtEpoch the 1-based epoch a resumed run went on from, else 0
 * @param attempt        Spark's attempt number of the task (0 the first time; more after a lost executor)
 */
record RunResult(String arch, long seed, Map<String, byte[]> files, String error, String executor, String host,
                 int attempt, String start, int resumedAtEpoch, double seconds) implements Serializable {
}
