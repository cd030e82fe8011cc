package io.github.hnswlibrs.spark;

import io.github.hnswlibrs.AddOptions;
import io.github.hnswlibrs.FileFormat;
import io.github.hnswlibrs.HnswIndex;
import io.github.hnswlibrs.Space;
import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;

/**
 * Builds the index of one partition on an executor and writes it, in the binding's native
 * format, to the shard directory. All index work is the binding's ({@link HnswIndex}).
 */
final class ShardBuilder implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Rows read and added at a time; the index grows (resize) as chunks come. */
    private static final int CHUNK = 8192;

    private final Columns columns;
    private final String distance;
    private final int m;
    private final int efConstruction;
    private final int threads;
    private final String dir;
    private final HadoopConf conf;

    ShardBuilder(Columns columns, String distance, int m, int efConstruction, int threads, String dir,
            HadoopConf conf) {
        this.columns = columns;
        this.distance = distance;
        this.m = m;
        this.efConstruction = efConstruction;
        this.threads = threads;
        this.dir = dir;
        this.conf = conf;
    }

    /** Builds and writes the shard of one partition; returns it, or nothing for an empty partition. */
    Iterator<Shard> build(int partition, Iterator<Row> rows) throws Exception {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();
        }
        HnswIndex index = null;
        try {
            int dim = -1;
            AddOptions add = AddOptions.defaults().withThreads(threads);
            float[][] vectors = new float[CHUNK][];
            long[] labels = new long[CHUNK];
            ShardNames names = columns.idKind() == Columns.IdKind.STRING ? ShardNames.building() : null;
            while (rows.hasNext()) {
                int n = 0;
                while (n < CHUNK && rows.hasNext()) {
                    Row row = rows.next();
                    Object id = columns.id(row);
                    labels[n] = names != null ? names.label((String) id) : (Long) id;
                    vectors[n] = columns.vector(row, dim);
                    dim = vectors[n].length;
                    n++;
                }
                if (index == null) {
                    index = HnswIndex.builder(Space.of(distance, dim), n).m(m).efConstruction(efConstruction)
                            .build();
                }
                if (index.size() + n > index.maxElements()) {
                    index.resize(Math.max(index.maxElements() * 2, index.size() + n));
                }
                index.add(n == CHUNK ? vectors : java.util.Arrays.copyOf(vectors, n),
                        n == CHUNK ? labels : java.util.Arrays.copyOf(labels, n), add);
            }
            String file = Shard.fileName(partition);
            HnswIndex built = index;
            conf.writeFile(new Path(dir, file), local -> built.save(local, FileFormat.NATIVE));
            String namesFile = null;
            if (names != null) {
                namesFile = ShardNames.fileName(file);
                conf.writeFile(new Path(dir, namesFile), names::write);
            }
            return Collections.singletonList(new Shard(file, index.size(), dim, namesFile)).iterator();
        } finally {
            if (index != null) {
                index.close();
            }
        }
    }
}
