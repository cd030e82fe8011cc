package io.github.hnswlibrs.spark;

import static io.github.hnswlibrs.spark.SparkTests.frame;
import static io.github.hnswlibrs.spark.SparkTests.predictions;
import static io.github.hnswlibrs.spark.SparkTests.vectors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spark ML persistence of the estimator and of the model (parameters and shard files). */
class PersistenceTest {
    @TempDir
    Path tmp;

    /** The writers and readers use the active session: there is one whatever the test order. */
    @BeforeAll
    static void startSpark() {
        SparkTests.spark();
    }

    @Test
    void modelRoundTripAnswersTheSame() throws IOException {
        float[][] items = vectors(1500, 8, 3);
        HnswSimilarityModel model = new HnswSimilarity().setDistanceFunction("l2").setK(4).setNumPartitions(3)
                .setIndexDir(tmp.resolve("fit").toString()).setExcludeSelf(true).setPredictionCol("nn")
                .fit(frame(items, 0));
        assertTrue(model.shardDir().endsWith("/fit/" + model.uid()), model.shardDir());
        String path = tmp.resolve("model").toString();
        model.write().save(path);
        assertTrue(Files.isDirectory(tmp.resolve("model/shards")));
        assertTrue(Files.exists(tmp.resolve("model/metadata/part-00000")));

        HnswSimilarityModel loaded = HnswSimilarityModel.load(path);
        assertEquals(model.uid(), loaded.uid());
        assertEquals(3, loaded.numShards());
        assertEquals(1500, loaded.size());
        assertEquals("l2", loaded.getDistanceFunction());
        assertEquals(4, loaded.getK());
        assertTrue(loaded.getExcludeSelf());
        assertEquals("nn", loaded.getPredictionCol());

        // The fit's own directory can go: the saved model has its copy of the shards.
        Map<Long, List<Row>> before = predictions(model.transform(frame(items, 0)), "nn");
        deleteTree(tmp.resolve("fit"));
        assertThrows(Exception.class, () -> model.transform(frame(items, 0)).count());
        Map<Long, List<Row>> after = predictions(loaded.transform(frame(items, 0)), "nn");
        assertEquals(1500, after.size());
        for (Map.Entry<Long, List<Row>> e : after.entrySet()) {
            assertEquals(4, e.getValue().size());
            assertEquals(before.get(e.getKey()), e.getValue());
        }

        // Saving again over a model needs overwrite(), and not over the files it reads.
        String other = tmp.resolve("other").toString();
        loaded.write().save(other);
        assertThrows(IOException.class, () -> loaded.write().save(other));
        loaded.setK(2).write().overwrite().save(other);
        assertEquals(2, HnswSimilarityModel.load(other).getK());
        Exception e = assertThrows(IllegalArgumentException.class, () -> loaded.write().overwrite().save(path));
        assertTrue(e.getMessage().contains("reads its shards from"), e.getMessage());
        assertEquals(1500, HnswSimilarityModel.load(path).transform(frame(items, 0)).count());
    }

    @Test
    void estimatorRoundTripKeepsItsParameters() throws IOException {
        HnswSimilarity estimator = new HnswSimilarity().setIdentifierCol("key").setFeaturesCol("emb")
                .setDistanceFunction("ip").setK(7).setM(12).setEf(40).setEfConstruction(80).setNumPartitions(5)
                .setNumReplicas(1).setNumThreads(2).setSimilarityThreshold(0.5).setExcludeSelf(true);
        String path = tmp.resolve("estimator").toString();
        estimator.write().save(path);
        HnswSimilarity loaded = HnswSimilarity.load(path);
        assertEquals(estimator.uid(), loaded.uid());
        assertEquals("key", loaded.getIdentifierCol());
        assertEquals("emb", loaded.getFeaturesCol());
        assertEquals("ip", loaded.getDistanceFunction());
        assertEquals(7, loaded.getK());
        assertEquals(12, loaded.getM());
        assertEquals(40, loaded.getEf());
        assertEquals(80, loaded.getEfConstruction());
        assertEquals(5, loaded.getNumPartitions());
        assertEquals(1, loaded.getNumReplicas());
        assertEquals(2, loaded.getNumThreads());
        assertEquals(0.5, loaded.getSimilarityThreshold());
        assertTrue(loaded.getExcludeSelf());
        assertEquals(null, loaded.getIndexDir());
        // A default stays a default, not a set value.
        assertTrue(!loaded.isSet(loaded.predictionCol()) && "prediction".equals(loaded.getPredictionCol()));
    }

    @Test
    void loadingTheWrongKindOrNothingSaysSo() throws IOException {
        String path = tmp.resolve("estimator").toString();
        new HnswSimilarity().write().save(path);
        Exception e = assertThrows(IllegalArgumentException.class, () -> HnswSimilarityModel.load(path));
        assertTrue(e.getMessage().contains("is a io.github.hnswlibrs.spark.HnswSimilarity"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> HnswSimilarity.load(tmp.resolve("none").toString()));
        assertTrue(e.getMessage().contains("No saved HnswSimilarity"), e.getMessage());
    }

    static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
