// Files shared with hnswlib 0.6.2 itself (Debian's libhnswlib-dev, through
// hnswlib062_tool): an index built and saved by hnswlib loads here and answers with the
// same neighbours, and one saved here loads in hnswlib and answers as it does here; the
// same with quantized indexes, whose files are hnswlib's.
#include "common.h"

#include <fstream>
#include <iterator>
#include <sstream>

using namespace testutil;

#ifndef HNSWLIB062_TOOL
#define HNSWLIB062_TOOL ""
#endif

namespace {

const size_t kDim = 12, kN = 1500, kQueries = 50, kK = 10, kEf = 40;

void write_floats(const std::string& path, const std::vector<float>& v) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    ASSERT_TRUE(out.good()) << path;
}

void run_tool(const std::string& args) {
    ASSERT_STRNE(HNSWLIB062_TOOL, "") << "hnswlib062_tool was not built: apt-get install libhnswlib-dev";
    std::string cmd = std::string("'") + HNSWLIB062_TOOL + "' " + args;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// hnswlib's answers: per query, (label, distance) closest first.
std::vector<std::vector<hnswlib::Neighbor>> tool_search(const std::string& index, const std::string& queries,
                                                        const std::string& space) {
    TempPath out(space + ".results.txt");
    std::ostringstream args;
    args << "search '" << index << "' '" << queries << "' " << kQueries << ' ' << kDim << ' ' << space << ' ' << kK
         << ' ' << kEf << " '" << out.str() << "'";
    run_tool(args.str());
    std::vector<std::vector<hnswlib::Neighbor>> rows;
    std::ifstream in(out.str());
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::vector<hnswlib::Neighbor> row;
        hnswlib::Neighbor nb;
        while (ls >> nb.label >> nb.distance) row.push_back(nb);
        rows.push_back(row);
    }
    return rows;
}

// Same labels in the same order; distances equal up to the kernels' rounding.
void expect_same(const std::vector<std::vector<hnswlib::Neighbor>>& ours,
                 const std::vector<std::vector<hnswlib::Neighbor>>& theirs) {
    ASSERT_EQ(ours.size(), theirs.size());
    for (size_t q = 0; q < ours.size(); ++q) {
        ASSERT_EQ(ours[q].size(), theirs[q].size()) << "query " << q;
        for (size_t i = 0; i < ours[q].size(); ++i) {
            EXPECT_EQ(ours[q][i].label, theirs[q][i].label) << "query " << q << " rank " << i;
            EXPECT_NEAR(ours[q][i].distance, theirs[q][i].distance, 1e-4 * (1 + std::fabs(theirs[q][i].distance)));
        }
    }
}

hnswlib::Space space_named(const std::string& name) { return hnswlib::Space::by_name(name, kDim); }

// hnswlib builds an index of `data` (M 16, ef_construction 100) and saves it at `index_file`.
void build_theirs(const std::vector<float>& data, const std::string& space, const std::string& index_file) {
    TempPath data_file("data.f32");
    write_floats(data_file.str(), data);
    std::ostringstream args;
    args << "build '" << data_file.str() << "' " << kN << ' ' << kDim << ' ' << space << " 16 100 '" << index_file
         << "'";
    run_tool(args.str());
}

class Hnswlib062 : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(Hnswlib062, TheirFileLoadsHereWithTheSameNeighbours) {
    const std::string space = GetParam();
    std::vector<float> data = random_vectors(kN, kDim, 31), queries = random_vectors(kQueries, kDim, 32);
    TempPath query_file("queries.f32"), index_file("theirs.bin");
    write_floats(query_file.str(), queries);
    build_theirs(data, space, index_file.str());

    auto theirs = tool_search(index_file.str(), query_file.str(), space);
    hnswlib::Index ours = hnswlib::Index::load(index_file.str(), space_named(space));
    EXPECT_EQ(ours.size(), kN);
    EXPECT_EQ(ours.M(), 16u);
    EXPECT_EQ(ours.ef_construction(), 100u);
    expect_same(ours.search_batch(queries, kK, hnswlib::SearchOptions{kEf}), theirs);

    // And through the hnswlib API of this library.
    std::unique_ptr<hnswlib::SpaceInterface<float>> s;
    if (space == "l2") s.reset(new hnswlib::L2Space(kDim));
    else s.reset(new hnswlib::InnerProductSpace(kDim));
    hnswlib::HierarchicalNSW<float> compat(s.get(), index_file.str());
    compat.setEf(kEf);
    for (size_t q = 0; q < kQueries; ++q) {
        auto r = compat.searchKnnCloserFirst(queries.data() + q * kDim, kK);
        ASSERT_EQ(r.size(), theirs[q].size());
        for (size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r[i].second, theirs[q][i].label);
    }
    // Stored vectors are hnswlib's bytes.
    EXPECT_EQ(compat.getDataByLabel<float>(77), std::vector<float>(data.begin() + 77 * kDim, data.begin() + 78 * kDim));
}

TEST_P(Hnswlib062, OurFileLoadsInHnswlibWithTheSameNeighbours) {
    const std::string space = GetParam();
    std::vector<float> data = random_vectors(kN, kDim, 33), queries = random_vectors(kQueries, kDim, 34);
    hnswlib::IndexParams p;
    p.max_elements = kN + 100;  // spare capacity is saved too
    p.ef_construction = 100;
    hnswlib::Index ours(space_named(space), p);
    hnswlib::AddOptions o;
    o.num_threads = 2;
    ours.add_batch(data, {}, o);
    // Deleted elements must stay hidden from hnswlib too.
    for (uint64_t l = 0; l < kN; l += 9) ours.mark_deleted(l);

    TempPath query_file("queries.f32"), index_file("ours.bin");
    write_floats(query_file.str(), queries);
    ours.save(index_file.str());
    auto theirs = tool_search(index_file.str(), query_file.str(), space);
    expect_same(ours.search_batch(queries, kK, hnswlib::SearchOptions{kEf}), theirs);
    for (const auto& row : theirs) {
        for (const auto& nb : row) EXPECT_NE(nb.label % 9, 0u) << "hnswlib returned a deleted label";
    }
}

// hnswlib's file loads into a quantized index here (which codes its vectors), finds what
// hnswlib finds and saves hnswlib's bytes again.
TEST_P(Hnswlib062, TheirFileLoadsIntoAQuantizedIndex) {
    const std::string space = GetParam();
    std::vector<float> data = random_vectors(kN, kDim, 35), queries = random_vectors(kQueries, kDim, 36);
    TempPath query_file("queries.f32"), index_file("theirs.bin");
    write_floats(query_file.str(), queries);
    build_theirs(data, space, index_file.str());
    auto theirs = tool_search(index_file.str(), query_file.str(), space);
    hnswlib::LoadOptions lo;
    lo.quantization = hnswlib::Quantization::Sq8;
    hnswlib::Index ours = hnswlib::Index::load(index_file.str(), space_named(space), lo);
    EXPECT_TRUE(ours.is_trained());
    std::vector<std::vector<uint64_t>> found, truth;
    for (const auto& row : ours.search_batch(queries, kK, hnswlib::SearchOptions{kEf})) found.push_back(labels_of(row));
    for (const auto& row : theirs) truth.push_back(labels_of(row));
    EXPECT_GE(recall(found, truth), 0.98);
    std::ifstream in(index_file.str(), std::ios::binary);
    std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(ours.to_bytes(), file);
}

// A quantized index that keeps its vectors saves hnswlib's file: hnswlib loads it and
// answers as the same file loaded unquantized here.
TEST_P(Hnswlib062, OurQuantizedIndexFileLoadsInHnswlib) {
    const std::string space = GetParam();
    std::vector<float> data = random_vectors(kN, kDim, 37), queries = random_vectors(kQueries, kDim, 38);
    hnswlib::IndexParams p(kN, 16, 100);
    p.quantization = hnswlib::Quantization::Sq4;
    hnswlib::Index ours(space_named(space), p);
    ours.add_batch(data);
    EXPECT_TRUE(ours.is_trained());
    TempPath query_file("queries.f32"), index_file("ours_sq4.bin");
    write_floats(query_file.str(), queries);
    ours.save(index_file.str());
    auto theirs = tool_search(index_file.str(), query_file.str(), space);
    hnswlib::Index plain = hnswlib::Index::load(index_file.str(), space_named(space));
    expect_same(plain.search_batch(queries, kK, hnswlib::SearchOptions{kEf}), theirs);
}

// A native file (which hnswlib cannot read), opened here as a read-only view and saved
// in the default format, is hnswlib's file again: hnswlib answers as the view does.
TEST_P(Hnswlib062, AViewOfANativeFileSavesAFileHnswlibLoads) {
    const std::string space = GetParam();
    std::vector<float> data = random_vectors(kN, kDim, 39), queries = random_vectors(kQueries, kDim, 40);
    hnswlib::Index ours(space_named(space), hnswlib::IndexParams(kN, 16, 100));
    ours.add_batch(data);
    for (uint64_t l = 0; l < kN; l += 7) ours.mark_deleted(l);
    TempPath query_file("queries.f32"), native_file("ours.native"), index_file("from_view.bin");
    write_floats(query_file.str(), queries);
    hnswlib::SaveOptions native;
    native.format = hnswlib::FileFormat::Native;
    ours.save(native_file.str(), native);
    hnswlib::Index view = hnswlib::Index::open_view(native_file.str());
    ASSERT_TRUE(view.is_view());
    view.save(index_file.str());
    auto theirs = tool_search(index_file.str(), query_file.str(), space);
    expect_same(view.search_batch(queries, kK, hnswlib::SearchOptions{kEf}), theirs);
    EXPECT_EQ(view.to_bytes(), ours.to_bytes());
}

INSTANTIATE_TEST_SUITE_P(Spaces, Hnswlib062, ::testing::Values("l2", "ip"));
