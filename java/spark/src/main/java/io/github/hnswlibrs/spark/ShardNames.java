package io.github.hnswlibrs.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The string identifiers of one shard: the shard's index labels them 0, 1, 2, ... in the order
 * they first came, and this keeps each label's name. Written beside the index file as
 * {@code shard-NNNNN.ids}: the magic {@code HNSWIDS1}, the count (int), then each name as its
 * UTF-8 length (int) and bytes, in label order.
 */
final class ShardNames {
    private static final byte[] MAGIC = "HNSWIDS1".getBytes(StandardCharsets.US_ASCII);
    /** Longer names are refused when reading: a damaged length must not allocate gigabytes. */
    private static final int MAX_NAME_BYTES = 1 << 20;

    private final List<String> names;
    private final Map<String, Long> labels;

    private ShardNames(List<String> names, Map<String, Long> labels) {
        this.names = names;
        this.labels = labels;
    }

    /** An empty list, to number names as a shard is built. */
    static ShardNames building() {
        return new ShardNames(new ArrayList<>(), new HashMap<>());
    }

    /** The file name of the names of the shard in {@code shardFile}. */
    static String fileName(String shardFile) {
        return shardFile.replaceFirst("\\.hnsw$", "") + ".ids";
    }

    /** The label of a name, numbering it when it is new (a name seen again keeps its label, so its vector is updated). */
    long label(String name) {
        return labels.computeIfAbsent(name, n -> {
            names.add(n);
            return (long) names.size() - 1;
        });
    }

    /** The label of a name, or -1 when the shard does not hold it. */
    long find(String name) {
        return labels.getOrDefault(name, -1L);
    }

    /** The labels of the names this shard holds; the others are left out. */
    long[] find(String[] allowed) {
        return java.util.Arrays.stream(allowed).mapToLong(this::find).filter(l -> l >= 0).toArray();
    }

    /** The name of a label. */
    String name(long label) {
        return names.get((int) label);
    }

    void write(Path file) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.write(MAGIC);
            out.writeInt(names.size());
            for (String name : names) {
                byte[] b = name.getBytes(StandardCharsets.UTF_8);
                out.writeInt(b.length);
                out.write(b);
            }
        }
    }

    /**
     * Reads a names file.
     *
     * @param file the file
     * @param count how many names the shard's metadata says it holds
     * @throws IOException when the file is not a names file of that many distinct names
     */
    static ShardNames read(Path file, long count) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new IOException(file + " is not a file of shard identifiers");
            }
            int n = in.readInt();
            if (n != count) {
                throw new IOException(file + " holds " + n + " identifiers, where its shard holds " + count);
            }
            ShardNames names = building();
            for (int i = 0; i < n; i++) {
                int len = in.readInt();
                if (len < 0 || len > MAX_NAME_BYTES) {
                    throw new IOException(file + " is corrupted: identifier " + i + " has length " + len);
                }
                byte[] b = new byte[len];
                in.readFully(b);
                if (names.label(new String(b, StandardCharsets.UTF_8)) != i) {
                    throw new IOException(file + " is corrupted: identifier " + i + " appears twice");
                }
            }
            return names;
        } catch (EOFException e) {
            throw new IOException(file + " is truncated", e);
        }
    }
}
