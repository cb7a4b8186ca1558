/**
 * Comparisons on Apache Spark: each (architecture, seed) run of a {@link io.cnnlab.experiment.Comparison}
 * is one Spark task, trained on an executor with the cores Spark gives the task, its files sent back to
 * the driver's {@code --out}. Runs are independent and each takes seconds to hours, so the run is the unit
 * of distribution; DL4J's own Spark training (parameter averaging of one model) does not pay for networks
 * this small. Spark itself is {@code provided}: spark-submit or the cluster supplies it.
 */
package io.cnnlab.spark;
