package io.github.hnswlibrs.spark;

import static io.github.hnswlibrs.spark.SparkTests.frame;
import static io.github.hnswlibrs.spark.SparkTests.spark;
import static io.github.hnswlibrs.spark.SparkTests.vectors;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;

/** Each kind of bad input fails with a message that says what is wrong and where. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    HnswSimilarityModel model;

    @BeforeAll
    void fit() {
        model = new HnswSimilarity().setNumPartitions(2).fit(frame(vectors(200, 4, 5), 0));
    }

    /** The message of what is thrown, or of its causes (a task's error reaches the driver wrapped). */
    static String failure(Executable run) {
        Throwable t = assertThrows(Exception.class, run);
        StringBuilder all = new StringBuilder();
        for (; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }

    static void assertSays(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + part + "' not in: " + message);
        }
    }

    @Test
    void missingColumns() {
        Dataset<Row> items = frame(vectors(10, 4, 1), 0);
        assertSays(failure(() -> new HnswSimilarity().setFeaturesCol("vec").fit(items)),
                "Column 'vec' (featuresCol) is not in the input", "[id, features]");
        assertSays(failure(() -> new HnswSimilarity().setIdentifierCol("key").fit(items)),
                "Column 'key' (identifierCol) is not in the input");
        assertSays(failure(() -> model.transform(items.drop("features"))),
                "Column 'features' (featuresCol) is not in the input");
        HnswSimilarityModel self = model.copy(new org.apache.spark.ml.param.ParamMap()).setExcludeSelf(true);
        assertSays(failure(() -> self.transform(items.drop("id"))), "Column 'id' (identifierCol)");
    }

    @Test
    void wrongColumnTypes() {
        Dataset<Row> items = frame(vectors(10, 4, 1), 0);
        assertSays(failure(() -> new HnswSimilarity().fit(items.withColumn("features",
                org.apache.spark.sql.functions.lit("x")))), "must be a Spark ML Vector, array<float> or"
                + " array<double>, but it is string");
        assertSays(failure(() -> new HnswSimilarity().fit(items.withColumn("id",
                org.apache.spark.sql.functions.lit(1.5)))),
                "(identifierCol) must be of type int, bigint or string, but it is double");
        HnswSimilarityModel self = model.copy(new org.apache.spark.ml.param.ParamMap()).setExcludeSelf(true);
        assertSays(failure(() -> self.transform(items.withColumn("id", org.apache.spark.sql.functions.lit("a")))),
                "(identifierCol) must be of the model's identifier type (int or bigint), but it is string");
        assertSays(failure(() -> model.transform(items.withColumnRenamed("id", "prediction"))),
                "Column 'prediction' (predictionCol) is already in the input");
    }

    @Test
    void badFilterColumn() {
        Dataset<Row> queries = frame(vectors(10, 4, 1), 0);
        HnswSimilarityModel filtered = model.copy(new org.apache.spark.ml.param.ParamMap()).setFilterCol("allowed");
        assertSays(failure(() -> filtered.transform(queries)),
                "Column 'allowed' (filterCol) is not in the input", "[id, features]");
        assertSays(failure(() -> filtered.transform(queries.withColumn("allowed",
                org.apache.spark.sql.functions.lit("1,2")))),
                "Column 'allowed' (filterCol) must be an array of the identifiers", "but it is string");
        assertSays(failure(() -> filtered.transform(queries.withColumn("allowed",
                org.apache.spark.sql.functions.expr("array(1.5D, 2.5D)")))), "but it is array<double>");
        assertSays(failure(() -> filtered.transform(queries.withColumn("allowed",
                org.apache.spark.sql.functions.expr("IF(id = 4, array(1L, NULL), array(1L))"))).count()),
                "Null identifier in the array of column 'allowed' (filterCol)");
        // The estimator does not need the column: it is the queries'.
        new HnswSimilarity().setFilterCol("allowed").setNumPartitions(1).fit(queries);
    }

    @Test
    void wrongDimension() {
        assertSays(failure(() -> model.transform(frame(vectors(5, 3, 1), 7)).count()),
                "Vector of dimension 3 in column 'features'", "index has dimension 4");
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            rows.add(RowFactory.create((long) i, SparkTests.features(new float[i == 33 ? 5 : 4],
                    DataTypes.createArrayType(DataTypes.FloatType))));
        }
        assertSays(failure(() -> new HnswSimilarity().fit(spark().createDataFrame(rows, schema()))),
                "dimension 5", "column 'features'");
    }

    @Test
    void nullVectors() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            rows.add(RowFactory.create((long) i, i == 11 ? null : SparkTests.features(new float[] {1, 2, 3, i},
                    DataTypes.createArrayType(DataTypes.FloatType))));
        }
        Dataset<Row> withNull = spark().createDataFrame(rows, schema());
        assertSays(failure(() -> new HnswSimilarity().fit(withNull)),
                "Null vector in column 'features' (featuresCol) of the row with id = 11");
        assertSays(failure(() -> model.transform(withNull).count()), "Null vector in column 'features'");
    }

    @Test
    void unknownDistance() {
        assertSays(failure(() -> new HnswSimilarity().setDistanceFunction("manhattan")),
                "Unknown distanceFunction 'manhattan': use one of cosine, ip, l2");
        HnswSimilarity estimator = new HnswSimilarity();
        estimator.set(estimator.distanceFunction(), "hamming");   // as pyspark sets parameters
        assertSays(failure(() -> estimator.fit(frame(vectors(10, 4, 1), 0))), "Unknown distanceFunction 'hamming'");
    }

    @Test
    void emptyInput() {
        assertSays(failure(() -> new HnswSimilarity().fit(frame(vectors(10, 4, 1), 0).limit(0))),
                "No rows to index");
    }

    static StructType schema() {
        return new StructType().add("id", DataTypes.LongType, false)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType), true);
    }
}
