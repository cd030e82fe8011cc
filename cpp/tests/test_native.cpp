// The native file format and read-only views in the C++ API: SaveOptions::format,
// Index::open / from_native_bytes (no space: the file's space and settings),
// Index::open_view / Index::view, is_view(), and the errors of changing a view or of
// viewing what is not a native file.
#include "common.h"

#include <fstream>
#include <iterator>

using namespace testutil;
using hnswlib::FileFormat;
using hnswlib::Index;
using hnswlib::IndexParams;
using hnswlib::SearchOptions;
using hnswlib::Space;
using hnswlib::SpaceKind;
using hnswlib::ViewOptions;

namespace {

const size_t kDim = 12, kN = 600;

hnswlib::SaveOptions native_format() {
    hnswlib::SaveOptions o;
    o.format = FileFormat::Native;
    return o;
}

// An index of kN rows of `space` with label 3 deleted and ef 37.
Index saved_index(const Space& space, unsigned seed, std::vector<float>* data_out = nullptr) {
    Index index(space, IndexParams(kN + 50, 12, 80));
    std::vector<float> data = random_vectors(kN, kDim, seed);
    index.add_batch(data);
    index.mark_deleted(3);
    index.set_ef(37);
    if (data_out) *data_out = data;
    return index;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << path;
}

// `got` reports what `want` does (space, dim and settings) and answers alike.
void expect_same_index(const Index& got, const Index& want, const std::vector<float>& queries) {
    EXPECT_EQ(got.space().kind(), want.space().kind());
    EXPECT_EQ(got.space().dim(), want.space().dim());
    EXPECT_EQ(got.space().element_size(), want.space().element_size());
    EXPECT_EQ(got.dim(), want.dim());
    EXPECT_EQ(got.size(), want.size());
    EXPECT_EQ(got.max_elements(), want.max_elements());
    EXPECT_EQ(got.deleted_count(), want.deleted_count());
    EXPECT_EQ(got.M(), want.M());
    EXPECT_EQ(got.ef_construction(), want.ef_construction());
    EXPECT_EQ(got.ef(), want.ef());
    EXPECT_EQ(got.quantization(), want.quantization());
    EXPECT_EQ(got.search_batch(queries, 10), want.search_batch(queries, 10));
}

}  // namespace

TEST(NativeFormat, OpenNeedsNoSpaceAndReportsTheFiles) {
    for (const Space& space : {Space::l2(kDim), Space::ip(kDim), Space::cosine(kDim)}) {
        std::vector<float> queries = random_vectors(20, kDim, 2);
        Index index = saved_index(space, 1);
        TempPath path("index.native");
        index.save(path.str(), native_format());
        Index opened = Index::open(path.str());
        EXPECT_FALSE(opened.is_view());
        expect_same_index(opened, index, queries);
        Index from_bytes = Index::from_native_bytes(index.to_bytes(FileFormat::Native));
        expect_same_index(from_bytes, index, queries);
        EXPECT_EQ(read_bytes(path.str()), index.to_bytes(FileFormat::Native));
        // load() and from_bytes() with the space read the native format too.
        expect_same_index(Index::load(path.str(), space), index, queries);
        expect_same_index(Index::from_bytes(index.to_bytes(FileFormat::Native), space), index, queries);
        // An opened index is an ordinary one, and typed vectors are checked against
        // the file's space.
        opened.add(std::vector<float>(kDim, 0.5f), 9000);
        EXPECT_TRUE(opened.contains(9000));
        EXPECT_THROW(opened.add(std::vector<float>(kDim + 1, 0.5f), 9001), hnswlib::InvalidArgumentError);
        hnswlib::LoadOptions lo;
        lo.max_elements = 2000;
        EXPECT_EQ(Index::open(path.str(), lo).max_elements(), 2000u);
    }
}

TEST(NativeFormat, HnswlibFormatIsStillTheDefault) {
    Index index = saved_index(Space::l2(kDim), 3);
    EXPECT_EQ(hnswlib::SaveOptions{}.format, FileFormat::Hnswlib);
    TempPath path("index.hnsw");
    index.save(path.str());
    EXPECT_EQ(read_bytes(path.str()), index.to_bytes());
    EXPECT_EQ(index.to_bytes(FileFormat::Hnswlib), index.to_bytes());
    EXPECT_NE(index.to_bytes(FileFormat::Native), index.to_bytes());
    // hnswlib's format does not name its space: open() cannot read it.
    expect_throw_with<hnswlib::FormatError>([&] { Index::open(path.str()); }, "does not name its space");
    expect_throw_with<hnswlib::FormatError>([&] { Index::from_native_bytes(index.to_bytes()); },
                                            "does not name its space");
    // A native file of another dimension does not load into a space of this one.
    TempPath native("index.native");
    index.save(native.str(), native_format());
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index::load(native.str(), Space::l2(kDim + 1)); },
                                                     "the file holds");
    // Another format value; brute-force indexes in hnswlib's format only.
    hnswlib::SaveOptions bad;
    bad.format = static_cast<FileFormat>(7);
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.save(native.str(), bad); }, "not a file format");
    EXPECT_THROW(index.serialize(static_cast<FileFormat>(-1)), hnswlib::InvalidArgumentError);
    hnswlib::BruteForce bf(Space::l2(kDim), 10);
    expect_throw_with<hnswlib::StateError>([&] { bf.save(native.str(), native_format()); }, "hnswlib's format only");
}

TEST(NativeFormat, ViewSearchesLikeTheLoadedIndexAndRefusesChanges) {
    std::vector<float> data, queries = random_vectors(20, kDim, 5);
    Index index = saved_index(Space::l2(kDim), 4, &data);
    TempPath path("view.native"), resaved("view.resaved");
    index.save(path.str(), native_format());
    Index loaded = Index::open(path.str());
    Index view = Index::open_view(path.str());
    ViewOptions checked_opts;
    checked_opts.verify = true;
    checked_opts.populate = true;
    Index checked = Index::open_view(path.str(), checked_opts);
    EXPECT_TRUE(view.is_view());
    EXPECT_TRUE(checked.is_view());
    EXPECT_FALSE(loaded.is_view());
    EXPECT_FALSE(index.is_view());
    expect_same_index(view, loaded, queries);
    expect_same_index(checked, loaded, queries);
    EXPECT_EQ(view.space().kind(), SpaceKind::L2);
    EXPECT_GT(view.check_integrity(), 0u);
    EXPECT_EQ(view.get_items<float>({10}), std::vector<float>(data.begin() + 10 * kDim, data.begin() + 11 * kDim));
    for (const auto& row : view.search_batch(queries, 10))
        for (const auto& nb : row) EXPECT_NE(nb.label, 3u);
    view.set_ef(50);  // a search setting, not a change of the file
    EXPECT_EQ(view.ef(), 50u);
    view.set_ef(37);

    std::vector<float> v(kDim, 0.25f);
    expect_throw_with<hnswlib::StateError>([&] { view.add(v, 9000); }, "read-only view");
    expect_throw_with<hnswlib::StateError>([&] { view.add(v, 1); }, "read-only view");
    expect_throw_with<hnswlib::StateError>([&] { view.add_batch(v, {9001}); }, "read-only view");
    expect_throw_with<hnswlib::StateError>([&] { view.mark_deleted(1); }, "read-only view");
    expect_throw_with<hnswlib::StateError>([&] { view.unmark_deleted(3); }, "read-only view");
    expect_throw_with<hnswlib::StateError>([&] { view.resize(5000); }, "read-only view");
    EXPECT_EQ(view.size(), kN);

    // A view saves in either format.
    view.save(resaved.str());
    Index back = Index::load(resaved.str(), Space::l2(kDim));
    back.set_ef(37);  // hnswlib's format does not hold ef
    EXPECT_EQ(back.search_batch(queries, 10), loaded.search_batch(queries, 10));
    view.save(resaved.str(), native_format());
    expect_same_index(Index::open(resaved.str()), loaded, queries);
    EXPECT_EQ(view.to_bytes(), index.to_bytes());
    // Saving over the viewed file replaces it by a rename: the view goes on.
    view.save(path.str(), native_format());
    expect_same_index(view, loaded, queries);

    // Moved from: no index, every call throws.
    Index moved = std::move(view);
    EXPECT_TRUE(moved.is_view());
    EXPECT_THROW(view.is_view(), hnswlib::NullPointerError);
}

TEST(NativeFormat, ViewOfWhatIsNotANativeFileThrows) {
    Index index = saved_index(Space::l2(kDim), 6);
    TempPath hnsw("index.hnsw"), native("index.native"), cut("cut.native"), junk("junk"), empty("empty");
    index.save(hnsw.str());
    index.save(native.str(), native_format());
    write_bytes(junk.str(), std::vector<uint8_t>(4096, 0xa7));
    write_bytes(empty.str(), {});
    for (const TempPath* p : {&hnsw, &junk, &empty}) {
        expect_throw_with<hnswlib::FormatError>([&] { Index::open_view(p->str()); },
                                                "not a file in the native format");
    }
    expect_throw_with<hnswlib::IoError>([&] { Index::open_view(native.str() + ".missing"); }, "missing");
    expect_throw_with<hnswlib::IoError>([&] { Index::open(native.str() + ".missing"); }, "missing");
    EXPECT_THROW(Index::open(junk.str()), hnswlib::FormatError);
    std::vector<uint8_t> bytes = read_bytes(native.str());
    ViewOptions verify;
    verify.verify = true;
    for (size_t n = 8; n < bytes.size(); n += bytes.size() / 17 + 1) {
        write_bytes(cut.str(), std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
        EXPECT_THROW(Index::open_view(cut.str()), hnswlib::FormatError) << n << " bytes";
        EXPECT_THROW(Index::open_view(cut.str(), verify), hnswlib::FormatError) << n << " bytes";
        EXPECT_THROW(Index::open(cut.str()), hnswlib::FormatError) << n << " bytes";
    }
    bytes[bytes.size() - bytes.size() / 4] ^= 0x5a;  // level 0 or the vectors
    write_bytes(cut.str(), bytes);
    EXPECT_THROW(Index::open_view(cut.str(), verify), hnswlib::FormatError);
    EXPECT_THROW(Index::open(cut.str()), hnswlib::FormatError);
}

// Squared L2 on kDim floats, as a custom (std::function) distance.
static Space custom_l2_space() {
    return Space::custom(kDim * sizeof(float), [](const void* a, const void* b) {
        const float* x = static_cast<const float*>(a);
        const float* y = static_cast<const float*>(b);
        float d = 0;
        for (size_t i = 0; i < kDim; ++i) d += (x[i] - y[i]) * (x[i] - y[i]);
        return d;
    });
}

TEST(NativeFormat, CustomSpaceFilesViewWithTheirSpace) {
    Space custom = custom_l2_space();
    std::vector<float> queries = random_vectors(20, kDim, 8);
    Index index = saved_index(custom, 7);
    TempPath path("custom.native");
    index.save(path.str(), native_format());
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index::open(path.str()); }, "custom distance");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index::open_view(path.str()); }, "custom distance");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index::view(path.str(), Space::l2(kDim)); },
                                                     "the file holds");
    Index view = Index::view(path.str(), custom);
    EXPECT_TRUE(view.is_view());
    EXPECT_EQ(view.space().kind(), SpaceKind::Custom);
    expect_same_index(view, Index::load(path.str(), custom), queries);
    expect_throw_with<hnswlib::StateError>([&] { view.add(std::vector<float>(kDim), 1); }, "read-only view");
    // An exception of the distance reaches the caller of a view's search too.
    Space throwing = Space::custom(kDim * sizeof(float), [](const void*, const void*) -> float {
        throw std::runtime_error("distance failed");
    });
    Index thrown = Index::view(path.str(), throwing);
    EXPECT_THROW(thrown.search(queries.data(), 5), std::runtime_error);
}

TEST(NativeFormat, NamedCustomSpacesRefuseAnotherName) {
    Space custom = custom_l2_space();
    Space named = custom.named("my-l2");
    EXPECT_EQ(custom.custom_name(), "");
    EXPECT_EQ(named.custom_name(), "my-l2");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Space::l2(kDim).named("x"); }, "only custom spaces");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { custom.named(""); }, "space name");
    EXPECT_THROW(custom.named(std::string("a\0b", 3)), hnswlib::InvalidArgumentError);

    std::vector<float> queries = random_vectors(20, kDim, 8);
    Index index = saved_index(named, 7);
    TempPath path("named.native");
    index.save(path.str(), native_format());
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index::open(path.str()); }, "\"my-l2\"");
    expect_throw_with<hnswlib::InvalidArgumentError>(
        [&] { Index::view(path.str(), custom.named("other")); }, "other");
    Index view = Index::view(path.str(), named);
    // An unnamed space takes the file's name: the index saves the same file again.
    Index loaded = Index::load(path.str(), custom);
    EXPECT_EQ(loaded.to_bytes(FileFormat::Native), index.to_bytes(FileFormat::Native));
    expect_same_index(view, loaded, queries);
}

TEST(NativeFormat, QuantizedCodesOnlyIndexOpensAndViews) {
    IndexParams p(1500, 16, 100);
    p.quantization = hnswlib::Quantization::Sq8;
    p.keep_vectors = false;
    Index index(Space::cosine(kDim), p);
    index.add_batch(random_vectors(1500, kDim, 9));
    ASSERT_TRUE(index.is_trained());
    TempPath path("sq8.native");
    EXPECT_THROW(index.save(path.str()), hnswlib::StateError);  // hnswlib's format needs the vectors
    index.save(path.str(), native_format());
    std::vector<float> queries = random_vectors(20, kDim, 10);
    Index both[] = {Index::open(path.str()), Index::open_view(path.str())};
    for (const Index& opened : both) {
        EXPECT_EQ(opened.quantization(), hnswlib::Quantization::Sq8);
        EXPECT_FALSE(opened.keeps_vectors());
        expect_same_index(opened, index, queries);
    }
}
