package dev.logitlens.spark;

import org.apache.spark.TaskContext;

/**
 * <b>Test only.</b> {@code -Dlogitlens.test.failPartitionOnce=N} (a system property of the executor's JVM: in local mode,
 * the test's own) makes the first attempt of partition N fail after its first document, so that a test sees Spark
 * retry the task and the output come out complete. Unset in any real run: then nothing happens.
 */
final class TestFailures {

    static final String PROPERTY = "logitlens.test.failPartitionOnce";

    private TestFailures() {
    }

    static void afterFirstDocument() {
        String partition = System.getProperty(PROPERTY);
        TaskContext task = TaskContext.get();
        if (partition != null && task != null && task.partitionId() == Integer.parseInt(partition) && task.attemptNumber() == 0) {
            throw new IllegalStateException("logitlens-test: injected failure of partition " + partition + ", attempt 0");
        }
    }
}
