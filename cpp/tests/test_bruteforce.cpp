// The C++ API: hnswlib::BruteForce.
#include "common.h"

using namespace testutil;
using hnswlib::BruteForce;
using hnswlib::Space;

TEST(BruteForceTest, AddSearchRemove) {
    BruteForce bf(Space::l2(2), 4);
    EXPECT_EQ(bf.max_elements(), 4u);
    EXPECT_EQ(bf.dim(), 2u);
    bf.add(std::vector<float>{0, 0}, 10);
    bf.add_batch(std::vector<float>{1, 0, 2, 0}, {11, 12});
    EXPECT_EQ(bf.size(), 3u);
    auto r = bf.search(std::vector<float>{1.9f, 0}, 3);
    EXPECT_EQ(labels_of(r), (std::vector<uint64_t>{12, 11, 10}));
    EXPECT_NEAR(r[0].distance, 0.01f, 1e-6);
    // k above the count: every element, no undefined behaviour.
    EXPECT_EQ(bf.search(std::vector<float>{0, 0}, 100).size(), 3u);
    // Overwrite in place.
    bf.add(std::vector<float>{5, 5}, 10);
    EXPECT_EQ(bf.size(), 3u);
    EXPECT_EQ(bf.get_item<float>(10), (std::vector<float>{5, 5}));
    bf.remove(11);
    EXPECT_FALSE(bf.contains(11));
    EXPECT_EQ(bf.ids(), (std::vector<uint64_t>{10, 12}));
    expect_throw_with<hnswlib::LabelNotFoundError>([&] { bf.remove(11); }, "Label not found");
    hnswlib::SearchOptions odd;
    odd.filter = [](uint64_t l) { return l % 2 == 1; };
    EXPECT_TRUE(bf.search(std::vector<float>{0, 0}, 2, odd).empty());
    auto batch = bf.search_batch(std::vector<float>{5, 5, 2, 0}, 1);
    EXPECT_EQ(batch[0][0].label, 10u);
    EXPECT_EQ(batch[1][0].label, 12u);
}

TEST(BruteForceTest, CapacityResizeAndBadInput) {
    BruteForce bf(Space::ip(3), 1);
    bf.add(std::vector<float>{1, 0, 0}, 1);
    expect_throw_with<hnswlib::CapacityError>([&] { bf.add(std::vector<float>{0, 1, 0}, 2); }, "exceeds");
    bf.resize(5);
    bf.add(std::vector<float>{0, 1, 0}, 2);
    EXPECT_THROW(bf.resize(1), hnswlib::StateError);
    EXPECT_THROW(bf.add(std::vector<float>{0, 1}, 3), hnswlib::InvalidArgumentError);
    EXPECT_THROW(bf.add_batch(std::vector<float>{0, 1, 0}, {}), hnswlib::InvalidArgumentError);
    EXPECT_THROW(bf.search(std::vector<float>{1, 0, 0}, 0), hnswlib::InvalidArgumentError);
    EXPECT_THROW(bf.get_item<float>(9), hnswlib::LabelNotFoundError);
}

TEST(BruteForceTest, SaveLoadSerialize) {
    std::vector<float> data = random_vectors(100, 6, 1), queries = random_vectors(5, 6, 2);
    BruteForce bf(Space::l2(6), 100);
    std::vector<uint64_t> labels;
    for (uint64_t i = 0; i < 100; ++i) labels.push_back(1000 + i);
    bf.add_batch(data, labels);
    auto before = bf.search_batch(queries, 7);
    TempPath path("bf.bin");
    bf.save(path.str());
    BruteForce loaded = BruteForce::load(path.str(), Space::l2(6));
    EXPECT_EQ(loaded.search_batch(queries, 7), before);
    EXPECT_EQ(loaded.ids(), bf.ids());
    BruteForce from = BruteForce::from_bytes(bf.to_bytes(), Space::l2(6), 500);
    EXPECT_EQ(from.max_elements(), 500u);
    EXPECT_EQ(from.search_batch(queries, 7), before);
    EXPECT_THROW(BruteForce::load(path.str() + ".missing", Space::l2(6)), hnswlib::IoError);
    EXPECT_THROW(BruteForce::load(path.str(), Space::l2(5)), hnswlib::FormatError);
    EXPECT_THROW(BruteForce::from_bytes(std::vector<uint8_t>(10, 1), Space::l2(6)), hnswlib::FormatError);
}
