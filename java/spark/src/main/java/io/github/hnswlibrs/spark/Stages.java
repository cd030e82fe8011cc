package io.github.hnswlibrs.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** What the estimator and the model share: checks, the output schema, persistence. */
final class Stages {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Stages() {}

    /** The distance name in lower case, or IllegalArgumentException naming the valid ones. */
    static String checkDistance(String name) {
        String lower = name == null ? null : name.toLowerCase(Locale.ROOT);
        if (lower == null || !Arrays.asList(HnswSimilarityParams.DISTANCE_FUNCTIONS).contains(lower)) {
            throw new IllegalArgumentException("Unknown distanceFunction '" + name + "': use one of "
                    + String.join(", ", HnswSimilarityParams.DISTANCE_FUNCTIONS)
                    + " (cosine: 1 - cosine similarity, ip: 1 - dot product, l2: squared Euclidean)");
        }
        return lower;
    }

    /** The input schema plus the prediction column. */
    static StructType outputSchema(StructType schema, String predictionCol, Columns.IdKind ids) {
        if (Arrays.asList(schema.fieldNames()).contains(predictionCol)) {
            throw new IllegalArgumentException("Column '" + predictionCol + "' (predictionCol) is already in the"
                    + " input: set predictionCol to another name");
        }
        return schema.add(predictionCol, DataTypes.createArrayType(Columns.neighbour(ids), false), false);
    }

    /** What a stage saves beside its parameters. */
    interface Extra {
        /** Checks the target before anything is written or deleted (an overwrite deletes it first). */
        void check(Path dir, Configuration conf) throws IOException;

        /** Adds to the metadata and writes files under the stage's directory. */
        void save(ObjectNode metadata, Path dir, Configuration conf) throws IOException;
    }

    /**
     * Writes a stage as Spark ML's DefaultParamsWriter does: one line of JSON in
     * {@code metadata/part-00000} (class, timestamp, sparkVersion, uid, paramMap,
     * defaultParamMap), through Hadoop's file system API, so any file system Spark writes to works.
     */
    static final class ParamsWriter extends MLWriter {
        private final Params stage;
        private final Extra extra;

        ParamsWriter(Params stage, Extra extra) {
            this.stage = stage;
            this.extra = extra;
        }

        @Override
        public void save(String path) throws IOException {
            if (extra != null) {
                extra.check(new Path(path), sparkSession().sparkContext().hadoopConfiguration());
            }
            super.save(path);
        }

        @Override
        public void saveImpl(String path) {
            ObjectNode metadata = JSON.createObjectNode();
            metadata.put("class", stage.getClass().getName());
            metadata.put("timestamp", System.currentTimeMillis());
            metadata.put("sparkVersion", sparkSession().version());
            metadata.put("uid", stage.uid());
            ObjectNode set = metadata.putObject("paramMap");
            ObjectNode defaults = metadata.putObject("defaultParamMap");
            for (Param<?> p : stage.params()) {
                @SuppressWarnings("unchecked")
                Param<Object> param = (Param<Object>) p;
                if (stage.isSet(param)) {
                    set.set(param.name(), parse(param.jsonEncode(stage.getOrDefault(param))));
                }
                if (stage.hasDefault(param)) {
                    defaults.set(param.name(), parse(param.jsonEncode(stage.getDefault(param).get())));
                }
            }
            Configuration conf = sparkSession().sparkContext().hadoopConfiguration();
            try {
                Path dir = new Path(path);
                if (extra != null) {
                    extra.save(metadata, dir, conf);
                }
                Path file = new Path(new Path(dir, "metadata"), "part-00000");
                try (OutputStream out = file.getFileSystem(conf).create(file, true)) {
                    out.write((JSON.writeValueAsString(metadata) + "\n").getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot save " + stage.uid() + " to " + path + ": " + e.getMessage(), e);
            }
        }
    }

    /** Makes a stage of a uid and its saved metadata. */
    interface Factory<T> {
        T create(String uid, JsonNode metadata, Path dir, Configuration conf) throws IOException;
    }

    /** Reads what {@link ParamsWriter} wrote, checking the class, and sets the saved parameters. */
    static final class ParamsReader<T extends Params> extends MLReader<T> {
        private final Class<T> type;
        private final Factory<T> factory;

        ParamsReader(Class<T> type, Factory<T> factory) {
            this.type = type;
            this.factory = factory;
        }

        @Override
        public T load(String path) {
            Configuration conf = sparkSession().sparkContext().hadoopConfiguration();
            Path dir = new Path(path);
            Path file = new Path(new Path(dir, "metadata"), "part-00000");
            JsonNode metadata;
            try {
                FileSystem fs = file.getFileSystem(conf);
                if (!fs.exists(file)) {
                    throw new IllegalArgumentException("No saved " + type.getSimpleName() + " at " + path + " ("
                            + file + " does not exist)");
                }
                try (InputStream in = fs.open(file)) {
                    metadata = JSON.readTree(in);
                }
                String saved = metadata.path("class").asText();
                if (!type.getName().equals(saved)) {
                    throw new IllegalArgumentException("The stage saved at " + path + " is a " + saved + ", not a "
                            + type.getName());
                }
                T stage = factory.create(metadata.path("uid").asText(), metadata, dir, conf);
                setParams(stage, metadata.path("defaultParamMap"), true);
                setParams(stage, metadata.path("paramMap"), false);
                return stage;
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot load " + type.getSimpleName() + " from " + path + ": "
                        + e.getMessage(), e);
            }
        }

        private static void setParams(Params stage, JsonNode values, boolean defaults) throws IOException {
            for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!stage.hasParam(e.getKey())) {
                    continue; // a parameter of another version
                }
                Param<Object> param = stage.getParam(e.getKey());
                Object value = param.jsonDecode(JSON.writeValueAsString(e.getValue()));
                if (defaults) {
                    stage.setDefault(param, value);
                } else {
                    stage.set(param, value);
                }
            }
        }
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
