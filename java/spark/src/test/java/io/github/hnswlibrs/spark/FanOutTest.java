package io.github.hnswlibrs.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.spark.HashPartitioner;
import org.junit.jupiter.api.Test;

/** How a query's allow-list is split between the shards: each id goes to the shard fit placed it in. */
class FanOutTest {
    /** Shards of partitions 0, 2, 3 and 5 of a fit into 6 (1 and 4 were empty). */
    static final List<Shard> SHARDS = List.of(new Shard("shard-00000.hnsw", 10, 4, null),
            new Shard("shard-00002.hnsw", 10, 4, null), new Shard("shard-00003.hnsw", 10, 4, null),
            new Shard("shard-00005.hnsw", 10, 4, null));

    static ShardSearch search(List<Shard> shards, int placedIn) {
        return new ShardSearch(null, "/nowhere", shards, 1, 5, 10, false, Double.MAX_VALUE, 1, null, placedIn);
    }

    @Test
    void eachIdGoesToItsShardOnly() {
        long[] allowed = LongStream.range(-50, 200).map(i -> i * 7919).toArray();
        Object[] parts = search(SHARDS, 6).split(allowed);
        HashPartitioner fit = new HashPartitioner(6);
        int[] shardOf = {0, -1, 1, 2, -1, 3};
        List<Long> kept = new ArrayList<>();
        for (int s = 0; s < SHARDS.size(); s++) {
            for (long id : (long[]) parts[s]) {
                assertEquals(s, shardOf[fit.getPartition(id)], id + " sent to shard " + s);
                kept.add(id);
            }
        }
        // Every id of a partition that has a shard is sent, once; the others exist nowhere.
        long[] expected = Arrays.stream(allowed).filter(id -> shardOf[fit.getPartition(id)] >= 0).sorted().toArray();
        assertArrayEquals(expected, kept.stream().mapToLong(Long::longValue).sorted().toArray());
        assertTrue(expected.length < allowed.length);

        String[] names = {"a", "b", "c", "doc-1", "doc-2", "é"};
        Object[] byName = search(SHARDS, 6).split(names);
        int sent = 0;
        for (int s = 0; s < SHARDS.size(); s++) {
            if (byName[s] != null) {
                for (String n : (String[]) byName[s]) {
                    assertEquals(s, shardOf[fit.getPartition(n)]);
                    sent++;
                }
            }
        }
        assertEquals(Arrays.stream(names).filter(n -> shardOf[fit.getPartition(n)] >= 0).count(), sent);
    }

    @Test
    void aListNoShardHoldsGoesEmptyToTheFirstAndNoListGoesEverywhere() {
        HashPartitioner fit = new HashPartitioner(6);
        long[] nowhere = LongStream.range(0, 100).filter(id -> fit.getPartition(id) == 1).toArray();
        Object[] parts = search(SHARDS, 6).split(nowhere);
        assertArrayEquals(new long[0], (long[]) parts[0]);
        for (int s = 1; s < parts.length; s++) {
            assertNull(parts[s]);
        }
        assertArrayEquals(new long[0], (long[]) search(SHARDS, 6).split(new long[0])[0]);
        assertNull(search(SHARDS, 6).split(null));
    }

    @Test
    void unknownPlacementSendsTheWholeList() {
        long[] allowed = {1, 2, 3};
        // A model saved before the fit's partitions were kept, or shard names that do not say.
        for (ShardSearch s : List.of(search(SHARDS, 0), search(SHARDS, 4),
                search(List.of(new Shard("a.hnsw", 1, 4, null)), 1))) {
            for (Object part : s.split(allowed)) {
                assertSame(allowed, part);
            }
        }
    }
}
