package io.github.hnswlibrs.spark;

import io.github.hnswlibrs.BatchSearchResult;
import io.github.hnswlibrs.HnswIndex;
import io.github.hnswlibrs.LabelFilter;
import io.github.hnswlibrs.SearchOptions;
import java.io.Serializable;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * The two sides of a sharded query: every query row is sent to one copy of every shard
 * ({@link #fanOut}), and each shard's task searches its queries in batches through the binding
 * ({@link #search}). Partition {@code s * replicas + r} is copy r of shard s. A query's
 * allow-list (filterCol) is split by the shard each id was placed in at fit, and each part
 * goes to its shard only, whose search passes it to the binding as a {@link LabelFilter}.
 * With string identifiers each shard's task reads the shard's names ({@link ShardNames}) to
 * turn them into its labels and back.
 */
final class ShardSearch implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Queries searched per call into the index. */
    private static final int BATCH = 1024;

    /**
     * One query on its way to a shard: self is its own identifier with excludeSelf (else
     * null), allowed its allow-list (null for no filter), each as {@link Columns} reads them:
     * Long and long[], or String and String[]. The row travels with the copy sent to the
     * first shard only.
     */
    record Query(long qid, float[] vector, Object self, Object allowed, Row row) implements Serializable {}

    private final Columns columns;
    private final String dir;
    private final List<Shard> shards;
    private final int replicas;
    private final int k;
    private final int ef;
    private final boolean excludeSelf;
    private final double threshold;
    private final int threads;
    private final HadoopConf conf;
    /** How fit placed the items: the partitioner of their identifiers, and the shard of each of its partitions (-1: none). */
    private final HashPartitioner partitioner;
    private final int[] placement;

    ShardSearch(Columns columns, String dir, List<Shard> shards, int replicas, int k, int ef,
            boolean excludeSelf, double threshold, int threads, HadoopConf conf, int placedIn) {
        this.columns = columns;
        this.dir = dir;
        this.shards = new ArrayList<>(shards);
        this.replicas = replicas;
        this.k = k;
        this.ef = ef;
        this.excludeSelf = excludeSelf;
        this.threshold = threshold;
        this.threads = threads;
        this.conf = conf;
        this.partitioner = placedIn > 0 ? new HashPartitioner(placedIn) : null;
        this.placement = placedIn > 0 ? placement(this.shards, placedIn) : null;
    }

    /** The shard of each partition of fit, or null when a shard's partition is not known (then allow-lists go whole). */
    private static int[] placement(List<Shard> shards, int partitions) {
        int[] at = new int[partitions];
        java.util.Arrays.fill(at, -1);
        for (int s = 0; s < shards.size(); s++) {
            int p = shards.get(s).partition();
            if (p < 0 || p >= partitions || at[p] >= 0) {
                return null;
            }
            at[p] = s;
        }
        return at;
    }

    /** Partitions of the search: one per copy of a shard. */
    int partitions() {
        return shards.size() * replicas;
    }

    /**
     * Sends each row of an input partition to one copy of every shard; a query with an
     * allow-list only to the shards that hold some of its ids, each with its own part of the
     * list (or, when none holds any, to the first with an empty list, so that its row still
     * comes out). The row travels with the first copy.
     */
    Iterator<Tuple2<Integer, Query>> fanOut(int partition, Iterator<Row> rows) {
        int dim = shards.get(0).dim();
        return new Iterator<>() {
            private long index;
            private final java.util.ArrayDeque<Tuple2<Integer, Query>> copies = new java.util.ArrayDeque<>();

            @Override
            public boolean hasNext() {
                return !copies.isEmpty() || rows.hasNext();
            }

            @Override
            public Tuple2<Integer, Query> next() {
                if (copies.isEmpty()) {
                    if (!rows.hasNext()) {
                        throw new NoSuchElementException();
                    }
                    Row row = rows.next();
                    long qid = ((long) partition << 40) | index++;
                    float[] vector = columns.vector(row, dim);
                    Object self = excludeSelf && columns.hasId() ? columns.id(row) : null;
                    Object[] parts = split(columns.allowed(row));
                    int copy = replicas == 1 ? 0 : Math.floorMod(qid * 0x9E3779B97F4A7C15L >>> 33, replicas);
                    for (int s = 0; s < shards.size(); s++) {
                        if (parts == null || parts[s] != null) {
                            copies.add(new Tuple2<>(s * replicas + copy, new Query(qid, vector, self,
                                    parts == null ? null : parts[s], copies.isEmpty() ? row : null)));
                        }
                    }
                }
                return copies.poll();
            }
        };
    }

    /**
     * An allow-list split by shard: element s is the part shard s may hold (null when it holds
     * none of the ids; the first is an empty list when no shard holds any), or the whole list
     * for every shard when the ids cannot be placed. Null for no allow-list.
     */
    Object[] split(Object allowed) {
        if (allowed == null) {
            return null;
        }
        Object[] parts = new Object[shards.size()];
        if (placement == null) {
            java.util.Arrays.fill(parts, allowed);
            return parts;
        }
        List<List<Object>> byShard = new ArrayList<>(Collections.nCopies(shards.size(), null));
        int n = java.lang.reflect.Array.getLength(allowed);
        for (int i = 0; i < n; i++) {
            Object id = java.lang.reflect.Array.get(allowed, i); // a Long or a String, the keys of fit
            int s = placement[partitioner.getPartition(id)];
            if (s >= 0) {
                if (byShard.get(s) == null) {
                    byShard.set(s, new ArrayList<>());
                }
                byShard.get(s).add(id);
            }
        }
        boolean any = false;
        for (int s = 0; s < parts.length; s++) {
            List<Object> ids = byShard.get(s);
            if (ids != null) {
                any = true;
                parts[s] = allowed instanceof String[] ? ids.toArray(new String[0])
                        : ids.stream().mapToLong(x -> (Long) x).toArray();
            }
        }
        if (!any) {
            parts[0] = allowed instanceof String[] ? new String[0] : new long[0];
        }
        return parts;
    }

    /** Searches the queries of one partition in its shard, in batches; returns each query's partial neighbours. */
    Iterator<Tuple2<Long, Neighbours>> search(int partition, Iterator<Tuple2<Integer, Query>> queries)
            throws Exception {
        if (!queries.hasNext()) {
            return Collections.emptyIterator();
        }
        Shard shard = shards.get(partition / replicas);
        ShardNames names = shard.names() == null ? null
                : ShardNames.read(conf.readableFile(new Path(dir, shard.names())), shard.size());
        HnswIndex index = HnswIndex.openView(conf.readableFile(new Path(dir, shard.file())));
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) context -> index.close());
        }
        int kSearch = excludeSelf ? k + 1 : k;
        SearchOptions options = SearchOptions.defaults().withEf(Math.max(ef, kSearch)).withThreads(threads);
        return new Iterator<>() {
            private final List<Tuple2<Long, Neighbours>> batch = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                if (next < batch.size()) {
                    return true;
                }
                if (!queries.hasNext()) {
                    if (task == null) {
                        index.close();
                    }
                    return false;
                }
                searchBatch();
                return true;
            }

            @Override
            public Tuple2<Long, Neighbours> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return batch.get(next++);
            }

            private void searchBatch() {
                batch.clear();
                next = 0;
                List<Query> part = new ArrayList<>(BATCH);
                while (part.size() < BATCH && queries.hasNext()) {
                    part.add(queries.next()._2());
                }
                // One search per distinct allow-list of the batch (null: the unfiltered queries),
                // as this shard's labels.
                Map<LongBuffer, List<Query>> byFilter = new LinkedHashMap<>();
                for (Query q : part) {
                    long[] allowed = labels(q.allowed());
                    LongBuffer key = allowed == null ? null : LongBuffer.wrap(allowed);
                    byFilter.computeIfAbsent(key, x -> new ArrayList<>()).add(q);
                }
                for (Map.Entry<LongBuffer, List<Query>> group : byFilter.entrySet()) {
                    List<Query> same = group.getValue();
                    float[][] vectors = new float[same.size()][];
                    for (int i = 0; i < vectors.length; i++) {
                        vectors[i] = same.get(i).vector();
                    }
                    SearchOptions opts = group.getKey() == null ? options
                            : options.withLabelFilter(LabelFilter.allow(group.getKey().array()));
                    BatchSearchResult found = index.knnBatch(vectors, kSearch, opts);
                    for (int i = 0; i < vectors.length; i++) {
                        Query q = same.get(i);
                        batch.add(new Tuple2<>(q.qid(), keep(q, found, i, names)));
                    }
                }
            }

            /** An allow-list as this shard's labels (names it does not hold are left out). */
            private long[] labels(Object allowed) {
                if (allowed == null || names == null) {
                    return (long[]) allowed;
                }
                return names.find((String[]) allowed);
            }
        };
    }

    /**
     * Row i of a batch result without the query's own item and anything beyond the threshold,
     * at most k; with names (string identifiers), named.
     */
    private Neighbours keep(Query q, BatchSearchResult found, int i, ShardNames names) {
        int base = i * found.k();
        int count = found.counts()[i];
        long[] ids = new long[Math.min(count, k)];
        float[] distances = new float[ids.length];
        int n = 0;
        boolean hasSelf = q.self() != null;
        long self = !hasSelf ? 0 : names == null ? (Long) q.self() : names.find((String) q.self());
        for (int j = 0; j < count && n < ids.length; j++) {
            long id = found.labels()[base + j];
            float d = found.distances()[base + j];
            if ((hasSelf && id == self) || d > threshold) {
                continue;
            }
            ids[n] = id;
            distances[n++] = d;
        }
        if (n < ids.length) {
            ids = java.util.Arrays.copyOf(ids, n);
            distances = java.util.Arrays.copyOf(distances, n);
        }
        if (names == null) {
            return new Neighbours(ids, null, distances, q.row());
        }
        String[] named = new String[n];
        for (int j = 0; j < n; j++) {
            named[j] = names.name(ids[j]);
        }
        return new Neighbours(null, named, distances, q.row());
    }

    /** Partition = the key (the fan-out computes it). */
    static final class ByKey extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int partitions;

        ByKey(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByKey && ((ByKey) o).partitions == partitions;
        }

        @Override
        public int hashCode() {
            return partitions;
        }
    }
}
