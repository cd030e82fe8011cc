package io.github.hnswlibrs.spark;

import static io.github.hnswlibrs.spark.BadInputTest.assertSays;
import static io.github.hnswlibrs.spark.BadInputTest.failure;
import static io.github.hnswlibrs.spark.SparkTests.exact;
import static io.github.hnswlibrs.spark.SparkTests.recall;
import static io.github.hnswlibrs.spark.SparkTests.spark;
import static io.github.hnswlibrs.spark.SparkTests.vectors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.hnswlibrs.BatchSearchResult;
import io.github.hnswlibrs.HnswIndex;
import io.github.hnswlibrs.SearchOptions;
import io.github.hnswlibrs.Space;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** String identifiers: numbered per shard, named again in the results, filters and excludeSelf by name. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StringIdsTest {
    static final int N = 2000;
    static final int DIM = 16;
    static final int QUERIES = 200;
    static final int K = 10;
    static final int M = 8;
    static final int EF = 20;

    float[][] items;
    float[][] queries;
    HnswSimilarityModel model;

    @TempDir
    Path tmp;

    /** Item i's name: not a number, of varying length, some with characters beyond ASCII. */
    static String name(int i) {
        return (i % 3 == 0 ? "dokument-ü-" : "doc/") + Integer.toString(i * 7919, 36) + "#" + i;
    }

    static int index(String name) {
        return Integer.parseInt(name.substring(name.lastIndexOf('#') + 1));
    }

    /** (id string, features array<float>[, allowed array<string>]). */
    static Dataset<Row> frame(float[][] vectors, String[] ids, String[][] allowed) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < vectors.length; i++) {
            Object features = SparkTests.features(vectors[i], DataTypes.createArrayType(DataTypes.FloatType));
            rows.add(allowed == null ? RowFactory.create(ids[i], features)
                    : RowFactory.create(ids[i], features, allowed[i]));
        }
        StructType schema = new StructType()
                .add("id", DataTypes.StringType, true)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType), true);
        if (allowed != null) {
            schema = schema.add("allowed", DataTypes.createArrayType(DataTypes.StringType), true);
        }
        return spark().createDataFrame(rows, schema);
    }

    static String[] names(int from, int n) {
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = from < 0 ? "query-" + i : name(from + i);
        }
        return out;
    }

    static float l2(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return d;
    }

    /** Each query id's neighbours as item numbers, checking every distance against the named item's vector. */
    Map<String, int[]> neighbours(HnswSimilarityModel m, Dataset<Row> queryFrame, float[][] queryVectors,
            Map<String, Integer> queryIndex) {
        Dataset<Row> out = m.transform(queryFrame);
        StructType neighbour = (StructType) ((ArrayType) out.schema().apply(m.getPredictionCol()).dataType())
                .elementType();
        assertEquals(DataTypes.StringType, neighbour.apply("id").dataType());
        Map<String, int[]> byId = new HashMap<>();
        for (Row r : out.select("id", m.getPredictionCol()).collectAsList()) {
            List<Row> found = r.getList(1);
            int[] idx = new int[found.size()];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = index(found.get(j).getString(0));
                float want = l2(queryVectors[queryIndex.get(r.getString(0))], items[idx[j]]);
                assertEquals(want, found.get(j).getFloat(1), 1e-3f * Math.max(1f, want),
                        "the distance of " + found.get(j).getString(0) + " is not its vector's");
            }
            byId.put(r.getString(0), idx);
        }
        return byId;
    }

    static Map<String, Integer> positions(String[] ids) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            m.put(ids[i], i);
        }
        return m;
    }

    @BeforeAll
    void fit() {
        items = vectors(N, DIM, 21);
        queries = vectors(QUERIES, DIM, 22);
        // Every 10th row twice: a name seen again is the same item (its vector updated, as
        // with an integer id), so the model holds N items.
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            Object features = SparkTests.features(items[i], DataTypes.createArrayType(DataTypes.FloatType));
            rows.add(RowFactory.create(name(i), features));
            if (i % 10 == 0) {
                rows.add(RowFactory.create(name(i), features));
            }
        }
        Dataset<Row> df = spark().createDataFrame(rows, new StructType()
                .add("id", DataTypes.StringType, true)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType), true));
        model = new HnswSimilarity().setDistanceFunction("l2").setK(K).setM(M).setEf(EF).setEfConstruction(100)
                .setNumPartitions(4).fit(df);
    }

    @Test
    void namesComeBackWithTheirOwnDistancesAndRecallHolds() {
        assertEquals("string", model.identifierType());
        assertEquals(N, model.size());
        String[] queryIds = names(-1, QUERIES);
        Map<String, int[]> found = neighbours(model, frame(queries, queryIds, null), queries, positions(queryIds));
        assertEquals(QUERIES, found.size());
        long[][] sharded = new long[QUERIES][];
        for (int q = 0; q < QUERIES; q++) {
            sharded[q] = Arrays.stream(found.get(queryIds[q])).asLongStream().toArray();
        }
        long[][] truth = exact(items, 0, queries, K, "l2");
        long[][] single = new long[QUERIES][];
        try (HnswIndex index = HnswIndex.builder(Space.l2(DIM), N).m(M).efConstruction(100).build()) {
            long[] labels = new long[N];
            Arrays.setAll(labels, i -> i);
            index.add(items, labels);
            BatchSearchResult r = index.knnBatch(queries, K, SearchOptions.defaults().withEf(EF));
            for (int q = 0; q < QUERIES; q++) {
                single[q] = r.row(q).labels();
            }
        }
        double shardedRecall = recall(truth, sharded);
        double singleRecall = recall(truth, single);
        System.out.printf("string ids: recall@%d sharded %.4f, single index %.4f%n", K, shardedRecall, singleRecall);
        assertTrue(shardedRecall >= singleRecall - 0.01, shardedRecall + " < " + singleRecall + " - 0.01");
    }

    @Test
    void excludeSelfAndFiltersGoByName() {
        int n = 100;
        Random random = new Random(23);
        String[][] allowed = new String[n][];
        List<Set<Integer>> allowedIdx = new ArrayList<>();
        for (int q = 0; q < n; q++) {
            Set<Integer> set = new HashSet<>();
            List<String> list = new ArrayList<>(List.of("not-an-item", "doc/" + q)); // unknown names are ignored
            for (int i = 0; i < N; i++) {
                if (i == q || random.nextDouble() < 0.2) {
                    set.add(i);
                    list.add(name(i));
                }
            }
            allowed[q] = list.toArray(new String[0]);
            allowedIdx.add(set);
        }
        float[][] some = Arrays.copyOf(items, n);
        String[] ids = names(0, n);
        HnswSimilarityModel filtered = model.copy(ParamMap.empty()).setExcludeSelf(true).setFilterCol("allowed")
                .setEf(60);
        Map<String, int[]> found = neighbours(filtered, frame(some, ids, allowed), some, positions(ids));
        long hits = 0;
        for (int q = 0; q < n; q++) {
            int self = q;
            Set<Integer> ok = allowedIdx.get(q);
            int[] got = found.get(ids[q]);
            assertEquals(K, got.length);
            for (int i : got) {
                assertTrue(i != self, "query " + q + " found itself");
                assertTrue(ok.contains(i), "item " + i + " is not in query " + q + "'s allow-list");
            }
            // Brute force over the allowed items other than the query's own.
            int[] truth = ok.stream().filter(i -> i != self)
                    .sorted((a, b) -> Float.compare(l2(some[self], items[a]), l2(some[self], items[b])))
                    .limit(K).mapToInt(Integer::intValue).toArray();
            Set<Integer> truthSet = new HashSet<>();
            for (int i : truth) {
                truthSet.add(i);
            }
            for (int i : got) {
                hits += truthSet.contains(i) ? 1 : 0;
            }
        }
        double r = (double) hits / (n * K);
        System.out.printf("string ids, filtered and excluding self: recall@%d %.4f%n", K, r);
        assertTrue(r >= 0.95, "recall " + r);
    }

    @Test
    void saveAndLoadKeepTheNames() throws IOException {
        String path = tmp.resolve("model").toString();
        model.write().save(path);
        HnswSimilarityModel loaded = HnswSimilarityModel.load(path);
        assertEquals("string", loaded.identifierType());
        String[] queryIds = names(-1, QUERIES);
        Map<String, Integer> pos = positions(queryIds);
        Map<String, int[]> before = neighbours(model, frame(queries, queryIds, null), queries, pos);
        Map<String, int[]> after = neighbours(loaded, frame(queries, queryIds, null), queries, pos);
        for (String q : queryIds) {
            assertEquals(Arrays.toString(before.get(q)), Arrays.toString(after.get(q)));
        }

        // A damaged names file fails the search with a message that names it.
        Path shards = Path.of(path, "shards");
        try (var files = Files.list(shards)) {
            Path names = files.filter(f -> f.toString().endsWith(".ids")).findFirst().orElseThrow();
            byte[] bytes = Files.readAllBytes(names);
            Files.write(names, Arrays.copyOf(bytes, bytes.length / 2));
        }
        HnswSimilarityModel damaged = HnswSimilarityModel.load(path);
        assertSays(failure(() -> damaged.transform(frame(queries, queryIds, null)).count()), ".ids is truncated");
    }

    @Test
    void badIdentifiers() {
        String[] ids = names(0, 10);
        ids[4] = null;
        assertSays(failure(() -> new HnswSimilarity().setNumPartitions(2).fit(frame(Arrays.copyOf(items, 10), ids,
                null))), "Null identifier in column 'id' (identifierCol)");
        // Queries of a string model filter by names, not numbers.
        Dataset<Row> numbers = SparkTests.frame(Arrays.copyOf(queries, 5), 0)
                .withColumn("allowed", org.apache.spark.sql.functions.expr("array(1L, 2L)"));
        assertSays(failure(() -> model.copy(ParamMap.empty()).setFilterCol("allowed").transform(numbers)),
                "(filterCol) must be an array of the identifiers a query may return (array<string>)",
                "but it is array<bigint>");
        assertSays(failure(() -> model.copy(ParamMap.empty()).setExcludeSelf(true).transform(numbers)),
                "(identifierCol) must be of the model's identifier type (string), but it is bigint");
    }
}
