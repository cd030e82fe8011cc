package io.github.hnswlibrs.spark;

import java.io.Serializable;

/**
 * One shard of a model: its file (a name in the model's shard directory), how many items it
 * holds and their dimension, and with string identifiers the file of their names.
 *
 * @param file the file name, e.g. {@code shard-00003.hnsw}
 * @param size items in it
 * @param dim their dimension
 * @param names the file of the string identifiers ({@link ShardNames}), or null for integer identifiers
 */
record Shard(String file, long size, int dim, String names) implements Serializable {

    /** The file name of partition {@code partition}'s shard. */
    static String fileName(int partition) {
        return String.format("shard-%05d.hnsw", partition);
    }

    /** The partition of fit that made the shard (from its file name), or -1 when the name does not say. */
    int partition() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("shard-(\\d{1,9})\\.hnsw").matcher(file);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The files of the shard: the index, and the names when there are. */
    java.util.List<String> files() {
        return names == null ? java.util.List.of(file) : java.util.List.of(file, names);
    }
}
