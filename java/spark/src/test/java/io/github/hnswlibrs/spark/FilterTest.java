package io.github.hnswlibrs.spark;

import static io.github.hnswlibrs.spark.SparkTests.ids;
import static io.github.hnswlibrs.spark.SparkTests.predictions;
import static io.github.hnswlibrs.spark.SparkTests.spark;
import static io.github.hnswlibrs.spark.SparkTests.vectors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** filterCol: each query's allow-list, against brute force over the allowed items. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FilterTest {
    static final int N = 2000;
    static final int DIM = 16;
    static final int QUERIES = 200;
    static final int K = 10;
    static final long FIRST_ID = 500L;

    float[][] items;
    float[][] queries;
    long[][] allowed;
    HnswSimilarityModel model;

    @BeforeAll
    void fit() {
        items = vectors(N, DIM, 11);
        queries = vectors(QUERIES, DIM, 12);
        // Allow-lists of 5% to 40% of the items, a few of under k items, some shared by
        // several queries, one empty; every tenth query has none (null).
        Random random = new Random(13);
        allowed = new long[QUERIES][];
        for (int q = 0; q < QUERIES; q++) {
            if (q % 10 == 0) {
                continue;
            }
            if (q % 10 == 1 && q > 1) {
                allowed[q] = allowed[q - 10];
                continue;
            }
            double share = q % 7 == 0 ? 3.0 / N : 0.05 + 0.35 * random.nextDouble();
            allowed[q] = IntStream.range(0, N).filter(i -> random.nextDouble() < share)
                    .mapToLong(i -> FIRST_ID + i).toArray();
        }
        allowed[3] = new long[0];
        // The filter column set on the estimator passes to the model.
        model = new HnswSimilarity().setDistanceFunction("l2").setK(K).setM(8).setEf(40)
                .setEfConstruction(100).setNumPartitions(4).setFilterCol("allowed")
                .fit(SparkTests.frame(items, FIRST_ID));
    }

    Dataset<Row> queryFrame(DataType idType) {
        List<Row> rows = new ArrayList<>();
        for (int q = 0; q < QUERIES; q++) {
            Object list = null;
            if (allowed[q] != null) {
                list = idType.equals(DataTypes.IntegerType)
                        ? Arrays.stream(allowed[q]).mapToObj(id -> (int) id).toArray(Integer[]::new)
                        : Arrays.stream(allowed[q]).boxed().toArray(Long[]::new);
            }
            rows.add(RowFactory.create((long) q, SparkTests.features(queries[q],
                    DataTypes.createArrayType(DataTypes.FloatType)), list));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType), true)
                .add("allowed", DataTypes.createArrayType(idType), true);
        return spark().createDataFrame(rows, schema);
    }

    /** The exact k nearest (squared L2) among the allowed items, or among all for null. */
    long[] bruteForce(float[] query, long[] allow, int k) {
        long[] candidates = allow != null ? allow : IntStream.range(0, N).mapToLong(i -> FIRST_ID + i).toArray();
        return Arrays.stream(candidates).boxed()
                .sorted(Comparator.comparingDouble(id -> l2(query, items[(int) (id - FIRST_ID)])))
                .limit(k).mapToLong(Long::longValue).toArray();
    }

    static double l2(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s;
    }

    void checkFiltered(Map<Long, List<Row>> found) {
        assertEquals(QUERIES, found.size());
        long hits = 0;
        long total = 0;
        for (int q = 0; q < QUERIES; q++) {
            long[] got = ids(found.get((long) q));
            long[] truth = bruteForce(queries[q], allowed[q], K);
            if (allowed[q] != null) {
                Set<Long> allow = new HashSet<>();
                Arrays.stream(allowed[q]).forEach(allow::add);
                for (long id : got) {
                    assertTrue(allow.contains(id), "query " + q + " returned " + id + ", not in its allow-list");
                }
            }
            assertTrue(got.length <= K);
            assertEquals(truth.length, got.length, "query " + q + ": fewer results than allowed items");
            Set<Long> exact = new HashSet<>();
            Arrays.stream(truth).forEach(exact::add);
            hits += Arrays.stream(got).filter(exact::contains).count();
            total += truth.length;
        }
        double recall = (double) hits / total;
        System.out.printf("recall@%d with allow-lists (4 shards, ef 40): %.4f%n", K, recall);
        assertTrue(recall >= 0.95, "recall against the filtered brute force: " + recall);
    }

    @Test
    void queriesReturnOnlyAllowedIdsWithHighRecall() {
        assertEquals("allowed", model.getFilterCol());
        Map<Long, List<Row>> found = predictions(model.transform(queryFrame(DataTypes.LongType)), "prediction");
        checkFiltered(found);
        assertEquals(0, found.get(3L).size(), "an empty allow-list allows nothing");
        assertTrue(allowed[7].length < K && found.get(7L).size() == allowed[7].length,
                "query 7 allows fewer than k items, and gets them all: " + found.get(7L));
        // Without the filter, the same queries are not confined to their lists.
        HnswSimilarityModel plain = model.copy(new org.apache.spark.ml.param.ParamMap());
        plain.clear(plain.filterCol());
        Map<Long, List<Row>> unfiltered = predictions(plain.transform(queryFrame(DataTypes.LongType)), "prediction");
        assertTrue(IntStream.range(0, QUERIES).allMatch(q -> unfiltered.get((long) q).size() == K));
    }

    @Test
    void intArraysAndReplicasGiveTheSameAnswers() {
        Map<Long, List<Row>> longs = predictions(model.transform(queryFrame(DataTypes.LongType)), "prediction");
        HnswSimilarityModel replicated = model.copy(new org.apache.spark.ml.param.ParamMap()).setNumReplicas(1)
                .setNumThreads(2);
        Map<Long, List<Row>> ints = predictions(replicated.transform(queryFrame(DataTypes.IntegerType)),
                "prediction");
        for (int q = 0; q < QUERIES; q++) {
            assertEquals(Arrays.toString(ids(longs.get((long) q))), Arrays.toString(ids(ints.get((long) q))));
        }
    }

    @Test
    void filterWithExcludeSelfAndThreshold() {
        // Items as queries, each allowed itself and the next 30 items.
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            long id = FIRST_ID + i;
            Long[] allow = IntStream.rangeClosed(0, 30).mapToObj(j -> id + j).toArray(Long[]::new);
            rows.add(RowFactory.create(id, SparkTests.features(items[i], DataTypes.createArrayType(DataTypes.FloatType)),
                    allow));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType), true)
                .add("allowed", DataTypes.createArrayType(DataTypes.LongType), true);
        Dataset<Row> some = spark().createDataFrame(rows, schema);
        HnswSimilarityModel self = model.copy(new org.apache.spark.ml.param.ParamMap()).setExcludeSelf(true);
        for (Map.Entry<Long, List<Row>> e : predictions(self.transform(some), "prediction").entrySet()) {
            long id = e.getKey();
            long[] got = ids(e.getValue());
            assertEquals(K, got.length);
            for (long n : got) {
                assertTrue(n != id && n > id && n <= id + 30, id + " returned " + n);
            }
        }
        Map<Long, List<Row>> all = predictions(model.transform(some), "prediction");
        double threshold = all.get(FIRST_ID).get(K / 2).getFloat(1);
        HnswSimilarityModel near = model.copy(new org.apache.spark.ml.param.ParamMap())
                .setSimilarityThreshold(threshold);
        for (Map.Entry<Long, List<Row>> e : predictions(near.transform(some), "prediction").entrySet()) {
            for (Row n : e.getValue()) {
                assertTrue(n.getFloat(1) <= threshold && n.getLong(0) >= e.getKey() && n.getLong(0) <= e.getKey() + 30);
            }
        }
    }
}
