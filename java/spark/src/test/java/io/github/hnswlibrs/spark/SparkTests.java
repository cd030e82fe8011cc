package io.github.hnswlibrs.spark;

import io.github.hnswlibrs.BatchSearchResult;
import io.github.hnswlibrs.BruteForceIndex;
import io.github.hnswlibrs.Space;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.ml.linalg.SQLDataTypes;

/** One local Spark for every test class of the run, and the data the tests share. */
final class SparkTests {
    private static SparkSession spark;

    private SparkTests() {}

    /** local[2], no UI, few shuffle partitions; stopped when the JVM exits. */
    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder()
                    .master("local[2]")
                    .appName("hnswlib-rs-spark tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(spark::stop));
        }
        return spark;
    }

    /** n vectors of dim floats around 20 centres (clustered, as real embeddings are). */
    static float[][] vectors(int n, int dim, long seed) {
        Random random = new Random(seed);
        float[][] centres = new float[20][dim];
        for (float[] c : centres) {
            for (int j = 0; j < dim; j++) {
                c[j] = (float) random.nextGaussian();
            }
        }
        float[][] out = new float[n][dim];
        for (int i = 0; i < n; i++) {
            float[] c = centres[random.nextInt(centres.length)];
            for (int j = 0; j < dim; j++) {
                out[i][j] = c[j] + 0.6f * (float) random.nextGaussian();
            }
        }
        return out;
    }

    /** A DataFrame of (id bigint, features) with the vectors as array&lt;float&gt;, array&lt;double&gt; or Vector. */
    static Dataset<Row> frame(float[][] vectors, long firstId, DataType featuresType) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < vectors.length; i++) {
            rows.add(RowFactory.create(firstId + i, features(vectors[i], featuresType)));
        }
        StructType schema = new StructType()
                .add("id", DataTypes.LongType, false)
                .add("features", featuresType, true);
        return spark().createDataFrame(rows, schema);
    }

    static Dataset<Row> frame(float[][] vectors, long firstId) {
        return frame(vectors, firstId, DataTypes.createArrayType(DataTypes.FloatType, false));
    }

    static Object features(float[] v, DataType type) {
        if (v == null) {
            return null;
        }
        if (type.equals(SQLDataTypes.VectorType())) {
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                d[i] = v[i];
            }
            return Vectors.dense(d);
        }
        if (((org.apache.spark.sql.types.ArrayType) type).elementType().equals(DataTypes.DoubleType)) {
            Double[] d = new Double[v.length];
            for (int i = 0; i < v.length; i++) {
                d[i] = (double) v[i];
            }
            return d;
        }
        Float[] f = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    /** The exact k nearest items (ids firstId..) of each query, by the binding's brute-force index. */
    static long[][] exact(float[][] items, long firstId, float[][] queries, int k, String distance) {
        try (BruteForceIndex bf = new BruteForceIndex(Space.of(distance, items[0].length), items.length)) {
            long[] ids = new long[items.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = firstId + i;
            }
            bf.add(items, ids);
            BatchSearchResult r = bf.knnBatch(queries, k);
            long[][] out = new long[queries.length][];
            for (int q = 0; q < queries.length; q++) {
                out[q] = r.row(q).labels();
            }
            return out;
        }
    }

    /** The prediction column of a transform's output, by the id column. */
    static Map<Long, List<Row>> predictions(Dataset<Row> out, String predictionCol) {
        Map<Long, List<Row>> byId = new HashMap<>();
        for (Row r : out.select("id", predictionCol).collectAsList()) {
            byId.put(r.getLong(0), r.getList(1));
        }
        return byId;
    }

    /** The ids of a prediction. */
    static long[] ids(List<Row> prediction) {
        return prediction.stream().mapToLong(n -> n.getLong(0)).toArray();
    }

    /** Recall@k of found ids against the exact ids, over all queries. */
    static double recall(long[][] exact, long[][] found) {
        long hits = 0;
        long total = 0;
        for (int q = 0; q < exact.length; q++) {
            java.util.Set<Long> truth = new java.util.HashSet<>();
            for (long id : exact[q]) {
                truth.add(id);
            }
            for (long id : found[q]) {
                hits += truth.contains(id) ? 1 : 0;
            }
            total += exact[q].length;
        }
        return (double) hits / total;
    }
}
