package io.github.hnswlibrs.spark;

import java.io.Serializable;

/**
 * One shard of a model: its file (a name in the model's shard directory), how many items it
 * holds and their dimension.
 *
 * @param file the file name, e.g. {@code shard-00003.hnsw}
 * @param size items in it
 * @param dim their dimension
 */
record Shard(String file, long size, int dim) implements Serializable {

    /** The file name of partition {@code partition}'s shard. */
    static String fileName(int partition) {
        return String.format("shard-%05d.hnsw", partition);
    }
}
