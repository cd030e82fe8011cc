package io.github.hnswlibrs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random vectors and the hnswlib fixtures under src/test/resources/fixtures. */
final class TestData {
    private TestData() {}

    static float[][] random(int rows, int dim, long seed) {
        Random r = new Random(seed);
        float[][] out = new float[rows][dim];
        for (float[] row : out) {
            for (int j = 0; j < dim; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        return out;
    }

    /**
     * Embedding-like data: {@code rows} points around {@code clusters} centres in
     * {@code dim} dimensions (centres uniform in [-1, 1], points within 0.35 of them per
     * coordinate). The same {@code centreSeed} gives the same centres, so data and
     * queries made with different {@code pointSeed}s come from one distribution.
     */
    static float[][] clustered(int rows, int dim, int clusters, long centreSeed, long pointSeed) {
        Random c = new Random(centreSeed);
        float[][] centres = new float[clusters][dim];
        for (float[] centre : centres) {
            for (int j = 0; j < dim; j++) {
                centre[j] = 2 * c.nextFloat() - 1;
            }
        }
        Random r = new Random(pointSeed);
        float[][] out = new float[rows][dim];
        for (float[] row : out) {
            float[] centre = centres[r.nextInt(clusters)];
            for (int j = 0; j < dim; j++) {
                row[j] = centre[j] + 0.35f * (2 * r.nextFloat() - 1);
            }
        }
        return out;
    }

    static long[] range(long from, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = from + i;
        }
        return out;
    }

    static FloatBuffer direct(float[][] rows) {
        int dim = rows[0].length;
        FloatBuffer b = ByteBuffer.allocateDirect(rows.length * dim * 4).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (float[] row : rows) {
            b.put(row);
        }
        return b.flip();
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = TestData.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource fixtures/" + name);
            }
            return in.readAllBytes();
        }
    }

    static float[][] floats(String name, int dim) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(resource(name)).order(ByteOrder.LITTLE_ENDIAN);
        int rows = b.remaining() / 4 / dim;
        float[][] out = new float[rows][dim];
        for (float[] row : out) {
            for (int j = 0; j < dim; j++) {
                row[j] = b.getFloat();
            }
        }
        return out;
    }

    static long[] longs(String name) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(resource(name)).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[b.remaining() / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getLong();
        }
        return out;
    }

    /** One fixture: the data hnswlib was given and what it answered. */
    record Fixture(String space, int dim, int k, int ef, long count, float[][] data, long[] labels,
            float[][] queries, List<SearchResult> expected) {}

    /** What hnswlib answered ({@code NAME.expected.txt}): its header and one result per query. */
    record Expected(String space, int dim, int k, int ef, long count, List<SearchResult> results) {}

    static Fixture fixture(String name) throws IOException {
        Expected e = expected(name);
        return new Fixture(e.space(), e.dim(), e.k(), e.ef(), e.count(), floats(name + ".data.f32", e.dim()),
                longs(name + ".labels.i64"), floats(name + ".queries.f32", e.dim()), e.results());
    }

    static Expected expected(String name) throws IOException {
        String[] lines = new String(resource(name + ".expected.txt"), StandardCharsets.UTF_8).split("\n");
        String space = null;
        int dim = 0;
        int k = 0;
        int ef = 0;
        long count = 0;
        for (String kv : lines[0].trim().split(" ")) {
            String[] p = kv.split("=");
            switch (p[0]) {
                case "space" -> space = p[1];
                case "dim" -> dim = Integer.parseInt(p[1]);
                case "k" -> k = Integer.parseInt(p[1]);
                case "ef" -> ef = Integer.parseInt(p[1]);
                case "count" -> count = Long.parseLong(p[1]);
                default -> throw new IOException("bad header " + lines[0]);
            }
        }
        List<SearchResult> expected = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            String[] halves = lines[i].split("\\|");
            String[] ls = halves[0].trim().split(" ");
            String[] ds = halves[1].trim().split(" ");
            long[] l = new long[ls.length];
            float[] d = new float[ds.length];
            for (int j = 0; j < ls.length; j++) {
                l[j] = Long.parseLong(ls[j]);
                d[j] = Float.parseFloat(ds[j]);
            }
            expected.add(new SearchResult(l, d));
        }
        return new Expected(space, dim, k, ef, count, expected);
    }
}
