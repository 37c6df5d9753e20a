package dev.logitlens.dump;

/** Hears how a dump advances; called on the dumping thread. */
public interface DumpProgress {

    /**
     * After each document.
     *
     * @param documentsDone   documents finished, those of earlier runs included
     * @param documents       documents in the corpus
     * @param bytesDone       corpus bytes finished, earlier runs included
     * @param bytes           corpus bytes
     * @param tokensThisRun   tokens run through the lens by this run
     */
    void document(int documentsDone, int documents, long bytesDone, long bytes, long tokensThisRun);

    /**
     * After each window of a document, with the document's tokens and bytes so far counted in (bytes only for a text
     * file, read a piece at a time): a progress line that moves within a long document.
     */
    default void window(int documentsDone, int documents, long bytesDone, long bytes, long tokensThisRun) {
    }

    /** After a shard's files are complete on disk. */
    default void shard(String name, int rows) {
    }

    DumpProgress NONE = (documentsDone, documents, bytesDone, bytes, tokensThisRun) -> { };
}
