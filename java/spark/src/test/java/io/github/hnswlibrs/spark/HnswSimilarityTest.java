package io.github.hnswlibrs.spark;

import static io.github.hnswlibrs.spark.SparkTests.exact;
import static io.github.hnswlibrs.spark.SparkTests.frame;
import static io.github.hnswlibrs.spark.SparkTests.ids;
import static io.github.hnswlibrs.spark.SparkTests.predictions;
import static io.github.hnswlibrs.spark.SparkTests.recall;
import static io.github.hnswlibrs.spark.SparkTests.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.hnswlibrs.BatchSearchResult;
import io.github.hnswlibrs.HnswIndex;
import io.github.hnswlibrs.SearchOptions;
import io.github.hnswlibrs.Space;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Fit and transform on a local Spark: recall against brute force and a single index, options. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HnswSimilarityTest {
    static final int N = 4000;
    static final int DIM = 24;
    static final int QUERIES = 400;
    static final int K = 10;
    static final int M = 8;
    static final int EF = 12;
    static final long FIRST_ID = 1_000_000L;

    float[][] items;
    float[][] queries;
    HnswSimilarityModel model;

    @BeforeAll
    void fit() {
        items = vectors(N, DIM, 1);
        queries = vectors(QUERIES, DIM, 2);
        model = new HnswSimilarity().setDistanceFunction("cosine").setK(K).setM(M).setEf(EF)
                .setEfConstruction(100).setNumPartitions(4).fit(frame(items, FIRST_ID));
    }

    long[][] sharded(HnswSimilarityModel m, Dataset<Row> queryFrame) {
        Map<Long, List<Row>> byId = predictions(m.transform(queryFrame), m.getPredictionCol());
        assertEquals(QUERIES, byId.size());
        long[][] found = new long[QUERIES][];
        for (int q = 0; q < QUERIES; q++) {
            found[q] = ids(byId.get((long) q));
        }
        return found;
    }

    @Test
    void shardedRecallIsAtLeastSingleIndexRecall() {
        long[][] truth = exact(items, FIRST_ID, queries, K, "cosine");
        long[][] single = new long[QUERIES][];
        try (HnswIndex index = HnswIndex.builder(Space.cosine(DIM), N).m(M).efConstruction(100).build()) {
            long[] labels = new long[N];
            for (int i = 0; i < N; i++) {
                labels[i] = FIRST_ID + i;
            }
            index.add(items, labels);
            BatchSearchResult r = index.knnBatch(queries, K, SearchOptions.defaults().withEf(EF));
            for (int q = 0; q < QUERIES; q++) {
                single[q] = r.row(q).labels();
            }
        }
        assertEquals(4, model.numShards());
        assertEquals(N, model.size());
        assertEquals(DIM, model.dim());
        double singleRecall = recall(truth, single);
        double shardedRecall = recall(truth, sharded(model, frame(queries, 0)));
        System.out.printf("recall@%d: sharded (4 shards) %.4f, single index %.4f%n", K, shardedRecall, singleRecall);
        assertTrue(singleRecall < 1.0, "the single index should miss some at ef " + EF + ": " + singleRecall);
        assertTrue(shardedRecall >= singleRecall - 0.01, shardedRecall + " < " + singleRecall + " - 0.01");
    }

    @Test
    void resultsAreClosestFirstWithDistances() {
        Map<Long, List<Row>> byId = predictions(model.transform(frame(queries, 0)), "prediction");
        for (List<Row> found : byId.values()) {
            assertEquals(K, found.size());
            for (int j = 1; j < found.size(); j++) {
                assertTrue(found.get(j - 1).getFloat(1) <= found.get(j).getFloat(1));
            }
        }
        // The first query's exact nearest item, with its cosine distance.
        long[] best = exact(items, FIRST_ID, new float[][] {queries[0]}, 1, "cosine")[0];
        assertEquals(best[0], byId.get(0L).get(0).getLong(0));
    }

    @Test
    void vectorsAsArraysOfDoubleAndSparkMlVectorsGiveTheSameNeighbours() {
        long[][] floats = sharded(model, frame(queries, 0));
        long[][] doubles = sharded(model, frame(queries, 0, DataTypes.createArrayType(DataTypes.DoubleType)));
        long[][] ml = sharded(model, frame(queries, 0, SQLDataTypes.VectorType()));
        for (int q = 0; q < QUERIES; q++) {
            assertArrayEquals(floats[q], doubles[q]);
            assertArrayEquals(floats[q], ml[q]);
        }
        // Items as Vectors too (1000 of them, searched with a larger ef: close to exact).
        float[][] some = java.util.Arrays.copyOf(items, 1000);
        HnswSimilarityModel fromVectors = new HnswSimilarity().setK(K).setEf(50).setNumPartitions(2)
                .fit(frame(some, FIRST_ID, SQLDataTypes.VectorType()));
        double r = recall(exact(some, FIRST_ID, queries, K, "cosine"), sharded(fromVectors, frame(queries, 0)));
        assertTrue(r > 0.95, "recall " + r);
    }

    @Test
    void replicasGiveTheSameAnswers() {
        long[][] one = sharded(model, frame(queries, 0));
        long[][] three = sharded(model.copy(new org.apache.spark.ml.param.ParamMap()).setNumReplicas(2)
                .setNumThreads(2), frame(queries, 0));
        for (int q = 0; q < QUERIES; q++) {
            assertArrayEquals(one[q], three[q]);
        }
    }

    @Test
    void excludeSelfLeavesOutTheQueryItem() {
        HnswSimilarityModel self = model.copy(new org.apache.spark.ml.param.ParamMap()).setExcludeSelf(true);
        Dataset<Row> some = frame(items, FIRST_ID).limit(200);
        Map<Long, List<Row>> without = predictions(self.transform(some), "prediction");
        Map<Long, List<Row>> with = predictions(model.transform(some), "prediction");
        int selfFirst = 0;
        for (Map.Entry<Long, List<Row>> e : without.entrySet()) {
            long[] found = ids(e.getValue());
            assertEquals(K, found.length);
            for (long id : found) {
                assertTrue(id != e.getKey(), "item " + id + " found itself");
            }
            selfFirst += ids(with.get(e.getKey()))[0] == e.getKey() ? 1 : 0;
        }
        assertTrue(selfFirst > 190, "without excludeSelf an item is its own nearest: " + selfFirst);
    }

    @Test
    void similarityThresholdDropsFartherNeighbours() {
        Map<Long, List<Row>> all = predictions(model.transform(frame(queries, 0)), "prediction");
        double threshold = all.get(0L).get(K / 2).getFloat(1);
        HnswSimilarityModel near = model.copy(new org.apache.spark.ml.param.ParamMap())
                .setSimilarityThreshold(threshold);
        Map<Long, List<Row>> some = predictions(near.transform(frame(queries, 0)), "prediction");
        boolean shorter = false;
        for (Map.Entry<Long, List<Row>> e : some.entrySet()) {
            List<Row> full = all.get(e.getKey());
            for (int j = 0; j < e.getValue().size(); j++) {
                assertTrue(e.getValue().get(j).getFloat(1) <= threshold);
                assertEquals(full.get(j).getLong(0), e.getValue().get(j).getLong(0));
            }
            shorter |= e.getValue().size() < K;
        }
        assertTrue(shorter);
        assertTrue(some.get(0L).size() > K / 2);
    }

    @Test
    void outputKeepsTheQueryColumnsAndAddsPrediction() {
        Dataset<Row> out = model.transform(frame(queries, 0).withColumnRenamed("id", "qid").withColumn("extra",
                org.apache.spark.sql.functions.lit("x")));
        assertEquals(List.of("qid", "features", "extra", "prediction"), List.of(out.schema().fieldNames()));
        assertEquals("array<struct<id:bigint,distance:float>>", out.schema().apply("prediction").dataType()
                .simpleString());
        assertFalse(out.filter("extra != 'x'").count() > 0);
        assertEquals(QUERIES, out.count());
    }
}
