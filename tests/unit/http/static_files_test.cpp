#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wirekit/codec.hpp>
#include <wirekit/http/date.hpp>
#include <wirekit/http/router.hpp>
#include <wirekit/http/server.hpp>
#include <wirekit/http/static_files.hpp>

#include "http/http_support.hpp"

namespace wirekit::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using support::request_text;

constexpr std::time_t file_time = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr const char* file_date = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr const char* secret = "TOP SECRET";

void write_file(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

void set_mtime(const fs::path& path, std::time_t t) {
  const timespec times[2] = {{t, 0}, {t, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

// Text worth compressing: long, repetitive.
std::string text_of(std::size_t size) {
  std::string out;
  for (int i = 0; out.size() < size; ++i) out += "line " + std::to_string(i % 50) + " of text\n";
  out.resize(size);
  return out;
}

std::string binary_of(std::size_t size) {
  std::string out(size, '\0');
  std::uint32_t x = 12345;
  for (char& c : out) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

Router static_router(StaticOptions options) {
  Router r;
  r.get("/{path...}", StaticFiles{std::move(options)});
  return r;
}

// A temporary directory holding `www` (the root) and `outside` (what must never be served).
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wirekit-static-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    www_ = base_ / "www";
    fs::create_directories(www_);
    write_file(base_ / "outside" / "secret.txt", secret);
    write_file(www_ / "hello.txt", "hello, file\n");
    set_mtime(www_ / "hello.txt", file_time);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  StaticOptions options() const { return StaticOptions{.root = www_}; }

  // One request on a fresh loop (so a fresh cache).
  Response fetch(std::string_view target, std::string_view headers = {},
                 std::string_view method = "GET") {
    return fetch_with(options(), target, headers, method);
  }
  Response fetch_with(StaticOptions o, std::string_view target, std::string_view headers = {},
                      std::string_view method = "GET") {
    const Server server{static_router(std::move(o))};
    return wirekit::test::run(support::respond(server, request_text(method, target, headers)));
  }

  fs::path base_;
  fs::path www_;
};

// ---- MIME types -----------------------------------------------------------------------------

TEST(MimeType, KnowsCommonExtensionsInAnyCase) {
  EXPECT_EQ(mime_type("x.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("x.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("dir/photo.JPG"), "image/jpeg");
  EXPECT_EQ(mime_type("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type("data.json"), "application/json");
  EXPECT_EQ(mime_type("archive.tar.gz"), "application/gzip");
  EXPECT_EQ(mime_type("icon.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("module.wasm"), "application/wasm");
}

TEST(MimeType, UnknownOrMissingExtensionsAreOctetStream) {
  EXPECT_EQ(mime_type("x.unknownext"), "application/octet-stream");
  EXPECT_EQ(mime_type("Makefile"), "application/octet-stream");
  EXPECT_EQ(mime_type("dir.d/file"), "application/octet-stream");
  EXPECT_EQ(mime_type("trailing."), "application/octet-stream");
  EXPECT_EQ(mime_type("x.averyveryverylongextension"), "application/octet-stream");
}

TEST(MimeType, CompressibleTypesAreTextLike) {
  EXPECT_TRUE(is_compressible("text/html; charset=utf-8"));
  EXPECT_TRUE(is_compressible("text/plain"));
  EXPECT_TRUE(is_compressible("application/json"));
  EXPECT_TRUE(is_compressible("image/svg+xml"));
  EXPECT_TRUE(is_compressible(mime_type("x.js")));
  EXPECT_FALSE(is_compressible("image/png"));
  EXPECT_FALSE(is_compressible("application/octet-stream"));
  EXPECT_FALSE(is_compressible("application/gzip"));
  EXPECT_FALSE(is_compressible(""));
}

// ---- plain files ----------------------------------------------------------------------------

TEST_F(StaticFilesTest, ServesAFileWithValidators) {
  const Response r = fetch("/hello.txt");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(support::body_of(r), "hello, file\n");
  EXPECT_EQ(r.headers.get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.headers.get("Accept-Ranges"), "bytes");
  EXPECT_EQ(r.headers.get("Last-Modified"), file_date);
  const auto etag = r.headers.get("ETag");
  ASSERT_TRUE(etag.has_value());
  EXPECT_TRUE(etag->starts_with('"') && etag->ends_with('"') && etag->size() > 2) << *etag;
}

TEST_F(StaticFilesTest, TheEtagChangesWhenTheFileDoes) {
  const std::string before(fetch("/hello.txt").headers.get("ETag").value_or(""));
  write_file(www_ / "hello.txt", "changed content\n");
  const std::string after(fetch("/hello.txt").headers.get("ETag").value_or(""));
  EXPECT_NE(before, after);
}

TEST_F(StaticFilesTest, AMissingFileIs404) {
  EXPECT_EQ(fetch("/missing.txt").status, 404);
  EXPECT_EQ(fetch("/no/such/dir/file.txt").status, 404);
  EXPECT_EQ(fetch("/hello.txt/below").status, 404);
}

TEST_F(StaticFilesTest, AFileWithATrailingSlashIs404) {
  // "hello.txt/" names a directory; the file system says ENOTDIR, as nginx and Apache answer.
  EXPECT_EQ(fetch("/hello.txt/").status, 404);
}

TEST_F(StaticFilesTest, ANamedPipeIs404WithoutBlocking) {
  const fs::path fifo = www_ / "pipe.txt";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  // Were the server to open the FIFO for reading, it would block until a writer came: this
  // thread comes as the writer after a while so that the test ends either way.
  std::thread unblock([&fifo] {
    std::this_thread::sleep_for(500ms);
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
  });
  const auto start = std::chrono::steady_clock::now();
  const Response r = fetch("/pipe.txt");
  const auto took = std::chrono::steady_clock::now() - start;
  unblock.join();
  EXPECT_EQ(r.status, 404);
  EXPECT_LT(took, 250ms) << "the loop blocked opening a FIFO";
}

// ---- conditional requests -------------------------------------------------------------------

TEST_F(StaticFilesTest, IfNoneMatchWithTheEtagIs304) {
  const std::string etag(fetch("/hello.txt").headers.get("ETag").value_or(""));
  const Response r = fetch("/hello.txt", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(r.body, "");
  EXPECT_FALSE(r.file.has_value());
  EXPECT_EQ(r.headers.get("ETag"), etag);
  EXPECT_FALSE(r.headers.contains("Content-Type"));
}

TEST_F(StaticFilesTest, IfNoneMatchFindsTheEtagInAList) {
  const std::string etag(fetch("/hello.txt").headers.get("ETag").value_or(""));
  EXPECT_EQ(fetch("/hello.txt", "If-None-Match: \"other\", " + etag + " ,\"more\"\r\n").status,
            304);
}

TEST_F(StaticFilesTest, IfNoneMatchComparesWeakly) {
  const std::string etag(fetch("/hello.txt").headers.get("ETag").value_or(""));
  EXPECT_EQ(fetch("/hello.txt", "If-None-Match: W/" + etag + "\r\n").status, 304);
}

TEST_F(StaticFilesTest, IfNoneMatchStarMatchesAnyFile) {
  EXPECT_EQ(fetch("/hello.txt", "If-None-Match: *\r\n").status, 304);
}

TEST_F(StaticFilesTest, IfNoneMatchWithAnotherEtagIs200) {
  const Response r = fetch("/hello.txt", "If-None-Match: \"stale\", W/\"older\"\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(support::body_of(r), "hello, file\n");
}

TEST_F(StaticFilesTest, IfModifiedSinceTheModificationIs304) {
  EXPECT_EQ(fetch("/hello.txt", std::string("If-Modified-Since: ") + file_date + "\r\n").status,
            304);
  EXPECT_EQ(fetch("/hello.txt", "If-Modified-Since: " + format_http_date(file_time + 3600) + "\r\n")
                .status,
            304);
}

TEST_F(StaticFilesTest, IfModifiedSinceBeforeTheModificationIs200) {
  EXPECT_EQ(
      fetch("/hello.txt", "If-Modified-Since: " + format_http_date(file_time - 1) + "\r\n").status,
      200);
  EXPECT_EQ(fetch("/hello.txt", "If-Modified-Since: not a date\r\n").status, 200);
}

TEST_F(StaticFilesTest, IfNoneMatchWinsOverIfModifiedSince) {
  const std::string etag(fetch("/hello.txt").headers.get("ETag").value_or(""));
  const std::string fresh = std::string("If-Modified-Since: ") + file_date + "\r\n";
  const std::string stale = "If-Modified-Since: " + format_http_date(file_time - 3600) + "\r\n";
  EXPECT_EQ(fetch("/hello.txt", "If-None-Match: \"other\"\r\n" + fresh).status, 200);
  EXPECT_EQ(fetch("/hello.txt", "If-None-Match: " + etag + "\r\n" + stale).status, 304);
}

// ---- ranges ---------------------------------------------------------------------------------

class RangeTest : public StaticFilesTest {
 protected:
  void SetUp() override {
    StaticFilesTest::SetUp();
    write_file(www_ / "digits.txt", content);
  }
  const std::string content = "0123456789abcdefghij";  // 20 bytes
};

TEST_F(RangeTest, AClosedRangeIs206) {
  const Response r = fetch("/digits.txt", "Range: bytes=2-5\r\n");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 2-5/20");
  EXPECT_EQ(support::body_of(r), "2345");
}

TEST_F(RangeTest, AnOpenRangeRunsToTheEnd) {
  const Response r = fetch("/digits.txt", "Range: bytes=15-\r\n");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 15-19/20");
  EXPECT_EQ(support::body_of(r), "fghij");
}

TEST_F(RangeTest, ASuffixRangeIsTheLastBytes) {
  const Response r = fetch("/digits.txt", "Range: bytes=-3\r\n");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 17-19/20");
  EXPECT_EQ(support::body_of(r), "hij");
  const Response all = fetch("/digits.txt", "Range: bytes=-100\r\n");
  EXPECT_EQ(all.status, 206);
  EXPECT_EQ(all.headers.get("Content-Range"), "bytes 0-19/20");
}

TEST_F(RangeTest, ARangeBeyondTheEndIsClamped) {
  const Response r = fetch("/digits.txt", "Range: bytes=18-1000\r\n");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 18-19/20");
  EXPECT_EQ(support::body_of(r), "ij");
}

TEST_F(RangeTest, AnUnsatisfiableRangeIs416) {
  for (const char* range : {"bytes=20-", "bytes=50-60", "bytes=-0"}) {
    const Response r = fetch("/digits.txt", std::string("Range: ") + range + "\r\n");
    EXPECT_EQ(r.status, 416) << range;
    EXPECT_EQ(r.headers.get("Content-Range"), "bytes */20") << range;
  }
}

TEST_F(RangeTest, SeveralRangesAreIgnored) {
  const Response r = fetch("/digits.txt", "Range: bytes=0-1,5-6\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(support::body_of(r), content);
  EXPECT_FALSE(r.headers.contains("Content-Range"));
}

TEST_F(RangeTest, MalformedRangesAreIgnored) {
  for (const char* range : {"bytes=5-2", "items=0-1", "bytes=a-b", "bytes=", "bytes=1"}) {
    const Response r = fetch("/digits.txt", std::string("Range: ") + range + "\r\n");
    EXPECT_EQ(r.status, 200) << range;
    EXPECT_EQ(support::body_of(r), content) << range;
  }
}

TEST_F(RangeTest, IfRangeWithTheCurrentEtagGivesTheRange) {
  const std::string etag(fetch("/digits.txt").headers.get("ETag").value_or(""));
  const Response r = fetch("/digits.txt", "Range: bytes=0-1\r\nIf-Range: " + etag + "\r\n");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(support::body_of(r), "01");
}

TEST_F(RangeTest, IfRangeWithAStaleValidatorGivesTheWholeFile) {
  const Response by_tag = fetch("/digits.txt", "Range: bytes=0-1\r\nIf-Range: \"stale\"\r\n");
  EXPECT_EQ(by_tag.status, 200);
  EXPECT_EQ(support::body_of(by_tag), content);
  const Response by_date =
      fetch("/digits.txt", "Range: bytes=0-1\r\nIf-Range: " + format_http_date(1000) + "\r\n");
  EXPECT_EQ(by_date.status, 200);
}

TEST_F(RangeTest, IfRangeWithTheLastModifiedDateGivesTheRange) {
  set_mtime(www_ / "digits.txt", file_time);
  const Response r =
      fetch("/digits.txt", std::string("Range: bytes=3-4\r\nIf-Range: ") + file_date + "\r\n");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(support::body_of(r), "34");
}

TEST_F(StaticFilesTest, ARangeOfALargeFileIsSentFromTheFile) {
  const std::string data = binary_of(200 * 1024);
  write_file(www_ / "large.bin", data);
  const Response r = fetch("/large.bin", "Range: bytes=100000-100009\r\n");
  EXPECT_EQ(r.status, 206);
  ASSERT_TRUE(r.file.has_value());
  EXPECT_EQ(r.file->offset, 100000u);
  EXPECT_EQ(r.file->length, 10u);
  EXPECT_EQ(support::body_of(r), data.substr(100000, 10));
}

// ---- directories ----------------------------------------------------------------------------

TEST_F(StaticFilesTest, ADirectoryWithoutTheSlashRedirectsKeepingTheQuery) {
  fs::create_directories(www_ / "docs");
  const Response r = fetch("/docs?page=2&x=y");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers.get("Location"), "/docs/?page=2&x=y");
  EXPECT_EQ(fetch("/docs").headers.get("Location"), "/docs/");
}

TEST_F(StaticFilesTest, TheRootWithoutTheSlashUnderAPrefixRedirects) {
  Router router;
  router.get("/static/{path...}", StaticFiles{options()});
  const Server server{std::move(router)};
  const Response r = wirekit::test::run(support::respond(server, request_text("GET", "/static")));
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers.get("Location"), "/static/");
}

TEST_F(StaticFilesTest, ADirectoryServesItsIndex) {
  write_file(www_ / "docs" / "index.html", "<h1>docs</h1>");
  const Response r = fetch("/docs/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(support::body_of(r), "<h1>docs</h1>");
  write_file(www_ / "index.html", "root index");
  EXPECT_EQ(support::body_of(fetch("/")), "root index");
}

TEST_F(StaticFilesTest, AListingEscapesNamesAndEncodesLinks) {
  const fs::path dir = www_ / "list";
  write_file(dir / "a&b.txt", "x");
  write_file(dir / "<script>.txt", "x");
  write_file(dir / "quote\"'.txt", "x");
  write_file(dir / "space name.txt", "x");
  fs::create_directories(dir / "sub dir");
  const Response r = fetch("/list/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Content-Type"), "text/html; charset=utf-8");
  const std::string& page = r.body;
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("href=\"a%26b.txt\">a&amp;b.txt</a>"), std::string::npos) << page;
  EXPECT_NE(page.find("href=\"%3Cscript%3E.txt\">&lt;script&gt;.txt</a>"), std::string::npos);
  EXPECT_NE(page.find("href=\"quote%22%27.txt\">quote&quot;&#39;.txt</a>"), std::string::npos);
  EXPECT_NE(page.find("href=\"space%20name.txt\">space name.txt</a>"), std::string::npos);
  EXPECT_NE(page.find("href=\"sub%20dir/\">sub dir/</a>"), std::string::npos);
  EXPECT_NE(page.find("href=\"../\""), std::string::npos);
  EXPECT_LT(page.find("sub dir/"), page.find("a&amp;b.txt"));  // directories first
  EXPECT_NE(page.find("Index of /list/"), std::string::npos);
}

TEST_F(StaticFilesTest, AListingShowsALinksOwnSizeNeverItsTargets) {
  write_file(base_ / "outside" / "big.bin", std::string(5000, 's'));
  fs::create_symlink(base_ / "outside" / "big.bin", www_ / "link.bin");
  const Response r = fetch("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(">link.bin</a>"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("4.9 KiB"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(secret), std::string::npos);
}

TEST_F(StaticFilesTest, ListingOffIs403) {
  fs::create_directories(www_ / "private");
  StaticOptions o = options();
  o.listing = false;
  EXPECT_EQ(fetch_with(o, "/private/").status, 403);
}

TEST_F(StaticFilesTest, ListingOffStillServesAnIndex) {
  write_file(www_ / "site" / "index.html", "index");
  StaticOptions o = options();
  o.listing = false;
  EXPECT_EQ(support::body_of(fetch_with(o, "/site/")), "index");
}

// ---- nothing outside the root ---------------------------------------------------------------

void expect_refused(const Response& r, int status, std::string_view what) {
  EXPECT_EQ(r.status, status) << what;
  EXPECT_EQ(support::body_of(r).find(secret), std::string::npos) << what;
}

TEST_F(StaticFilesTest, DotDotIsRefused) {
  expect_refused(fetch("/../outside/secret.txt"), 404, "..");
  expect_refused(fetch("/sub/../../outside/secret.txt"), 404, "sub/../..");
  expect_refused(fetch("/./hello.txt"), 404, ".");
}

TEST_F(StaticFilesTest, EncodedDotDotIsRefused) {
  expect_refused(fetch("/%2e%2e/outside/secret.txt"), 404, "%2e%2e");
  expect_refused(fetch("/%2E%2E/outside/secret.txt"), 404, "%2E%2E");
  expect_refused(fetch("/.%2e/outside/secret.txt"), 404, ".%2e");
}

TEST_F(StaticFilesTest, AnEncodedSlashIsRefusedByTheRouter) {
  expect_refused(fetch("/..%2Foutside%2Fsecret.txt"), 400, "%2F");
  expect_refused(fetch("/%2e%2e%2foutside%2fsecret.txt"), 400, "%2f");
}

TEST_F(StaticFilesTest, NulAndBackslashAreRefused) {
  expect_refused(fetch("/hello.txt%00.png"), 404, "NUL");
  expect_refused(fetch("/..%5Coutside%5Csecret.txt"), 404, "encoded backslash");
  expect_refused(fetch("/..\\outside\\secret.txt"), 404, "backslash");
}

TEST_F(StaticFilesTest, AnEmptySegmentIsRefused) {
  expect_refused(fetch("//etc/passwd"), 404, "//");
}

TEST_F(StaticFilesTest, ASymlinkToAFileOutsideIsNotFollowed) {
  fs::create_symlink(base_ / "outside" / "secret.txt", www_ / "absolute.txt");
  fs::create_symlink("../outside/secret.txt", www_ / "relative.txt");
  expect_refused(fetch("/absolute.txt"), 404, "absolute link");
  expect_refused(fetch("/relative.txt"), 404, "relative link");
}

TEST_F(StaticFilesTest, ASymlinkToADirectoryOutsideIsNotFollowed) {
  fs::create_directory_symlink(base_ / "outside", www_ / "out");
  expect_refused(fetch("/out/secret.txt"), 404, "file through the link");
  expect_refused(fetch("/out/"), 404, "listing through the link");
  expect_refused(fetch("/out"), 404, "redirect through the link");
}

TEST_F(StaticFilesTest, ASymlinkInsideTheRootIsServed) {
  fs::create_symlink("hello.txt", www_ / "alias.txt");
  write_file(www_ / "real" / "inner.txt", "inner");
  fs::create_directory_symlink("real", www_ / "linked");
  EXPECT_EQ(support::body_of(fetch("/alias.txt")), "hello, file\n");
  EXPECT_EQ(support::body_of(fetch("/linked/inner.txt")), "inner");
}

// ---- encodings ------------------------------------------------------------------------------

class EncodingTest : public StaticFilesTest {
 protected:
  void SetUp() override {
    StaticFilesTest::SetUp();
    write_file(www_ / "app.js", script);
    write_file(www_ / "app.js.gz", codec::compress(codec::Encoding::gzip, script));
    write_file(www_ / "app.js.br", codec::compress(codec::Encoding::br, script));
    write_file(www_ / "page.txt", page);
    write_file(www_ / "small.txt", "small text file");
    write_file(www_ / "pic.png", binary_of(2000));
  }
  const std::string script = text_of(3000);
  const std::string page = text_of(2000);
};

TEST_F(EncodingTest, APrecompressedGzipSiblingIsChosen) {
  const Response r = fetch("/app.js", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Content-Encoding"), "gzip");
  EXPECT_EQ(r.headers.get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(r.headers.get("Vary"), "Accept-Encoding");
  EXPECT_EQ(codec::decompress(codec::Encoding::gzip, support::body_of(r), 1 << 20), script);
}

TEST_F(EncodingTest, APrecompressedBrotliSiblingIsPreferred) {
  const Response r = fetch("/app.js", "Accept-Encoding: gzip, br\r\n");
  EXPECT_EQ(r.headers.get("Content-Encoding"), "br");
  EXPECT_EQ(codec::decompress(codec::Encoding::br, support::body_of(r), 1 << 20), script);
}

TEST_F(EncodingTest, QValuesChooseThePrecompressedSibling) {
  const Response r = fetch("/app.js", "Accept-Encoding: br;q=0.5, gzip;q=1\r\n");
  EXPECT_EQ(r.headers.get("Content-Encoding"), "gzip");
}

TEST_F(EncodingTest, WithoutAcceptEncodingTheFileIsSentAsItIs) {
  const Response r = fetch("/app.js");
  EXPECT_FALSE(r.headers.contains("Content-Encoding"));
  EXPECT_EQ(support::body_of(r), script);
  EXPECT_EQ(r.headers.get("Vary"), "Accept-Encoding");
}

TEST_F(EncodingTest, EachEncodingHasItsOwnEtag) {
  const std::string identity(fetch("/app.js").headers.get("ETag").value_or(""));
  const std::string gzip(
      fetch("/app.js", "Accept-Encoding: gzip\r\n").headers.get("ETag").value_or(""));
  const std::string br(
      fetch("/app.js", "Accept-Encoding: br\r\n").headers.get("ETag").value_or(""));
  EXPECT_NE(identity, gzip);
  EXPECT_NE(identity, br);
  EXPECT_NE(gzip, br);
}

TEST_F(EncodingTest, TextIsCompressedOnTheFly) {
  const Response r = fetch("/page.txt", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Content-Encoding"), "gzip");
  EXPECT_EQ(r.headers.get("Vary"), "Accept-Encoding");
  const std::string body = support::body_of(r);
  EXPECT_LT(body.size(), page.size());
  EXPECT_EQ(codec::decompress(codec::Encoding::gzip, body, 1 << 20), page);
}

TEST_F(EncodingTest, OnTheFlyCompressionFollowsAcceptEncoding) {
  const Response zstd = fetch("/page.txt", "Accept-Encoding: gzip;q=0.5, zstd\r\n");
  EXPECT_EQ(zstd.headers.get("Content-Encoding"), "zstd");
  EXPECT_EQ(codec::decompress(codec::Encoding::zstd, support::body_of(zstd), 1 << 20), page);
  const Response br = fetch("/page.txt", "Accept-Encoding: *\r\n");
  EXPECT_EQ(br.headers.get("Content-Encoding"), "br");
  EXPECT_EQ(codec::decompress(codec::Encoding::br, support::body_of(br), 1 << 20), page);
}

TEST_F(EncodingTest, SmallFilesAreNotCompressed) {
  const Response r = fetch("/small.txt", "Accept-Encoding: gzip, br\r\n");
  EXPECT_FALSE(r.headers.contains("Content-Encoding"));
  EXPECT_EQ(support::body_of(r), "small text file");
}

TEST_F(EncodingTest, ImagesAreNotCompressed) {
  const Response r = fetch("/pic.png", "Accept-Encoding: gzip, br\r\n");
  EXPECT_FALSE(r.headers.contains("Content-Encoding"));
  EXPECT_EQ(r.headers.get("Content-Type"), "image/png");
  EXPECT_EQ(support::body_of(r), binary_of(2000));
}

TEST_F(EncodingTest, CompressionCanBeTurnedOff) {
  StaticOptions o = options();
  o.compress = false;
  o.precompressed = false;
  const Response text = fetch_with(o, "/page.txt", "Accept-Encoding: gzip\r\n");
  EXPECT_FALSE(text.headers.contains("Content-Encoding"));
  EXPECT_EQ(support::body_of(text), page);
  const Response script_response = fetch_with(o, "/app.js", "Accept-Encoding: gzip\r\n");
  EXPECT_FALSE(script_response.headers.contains("Content-Encoding"));
}

TEST_F(EncodingTest, ARangeIsServedFromTheIdentityEncoding) {
  const Response r = fetch("/page.txt", "Accept-Encoding: gzip\r\nRange: bytes=0-9\r\n");
  EXPECT_EQ(r.status, 206);
  EXPECT_FALSE(r.headers.contains("Content-Encoding"));
  EXPECT_EQ(support::body_of(r), page.substr(0, 10));
}

TEST_F(EncodingTest, RevalidatingACompressedVariantIs304) {
  // A browser revalidates with the ETag of the variant it got (and it always gets one).
  auto scenario = [](const Server& server) -> Task<int> {
    const Response first = co_await support::respond(
        server, request_text("GET", "/page.txt", "Accept-Encoding: gzip\r\n"));
    const std::string etag(first.headers.get("ETag").value_or(""));
    const Response again = co_await support::respond(
        server, request_text("GET", "/page.txt",
                             "Accept-Encoding: gzip\r\nIf-None-Match: " + etag + "\r\n"));
    co_return again.status;
  };
  const Server server{static_router(options())};
  EXPECT_EQ(wirekit::test::run(scenario(server)), 304);
}

TEST_F(EncodingTest, RevalidatingAPrecompressedVariantIs304) {
  auto scenario = [](const Server& server) -> Task<int> {
    const Response first = co_await support::respond(
        server, request_text("GET", "/app.js", "Accept-Encoding: br\r\n"));
    const std::string etag(first.headers.get("ETag").value_or(""));
    const Response again = co_await support::respond(
        server,
        request_text("GET", "/app.js", "Accept-Encoding: br\r\nIf-None-Match: " + etag + "\r\n"));
    co_return again.status;
  };
  const Server server{static_router(options())};
  EXPECT_EQ(wirekit::test::run(scenario(server)), 304);
}

TEST_F(EncodingTest, ANameLikeACachedVariantIsNotServedFromTheCache) {
  // The cache keeps page.txt's brotli form beside page.txt; a request for a file whose name
  // looks like that cache entry must find the file system, where no such file exists.
  auto scenario = [](const Server& server) -> Task<int> {
    const Response compressed = co_await support::respond(
        server, request_text("GET", "/page.txt", "Accept-Encoding: br\r\n"));
    EXPECT_EQ(compressed.headers.get("Content-Encoding"), "br");
    const Response other = co_await support::respond(server, request_text("GET", "/page.txt%0Abr"));
    co_return other.status;
  };
  const Server server{static_router(options())};
  EXPECT_EQ(wirekit::test::run(scenario(server)), 404);
}

// ---- the cache ------------------------------------------------------------------------------

TEST_F(StaticFilesTest, AModifiedFileIsReadAgainAfterRevalidate) {
  StaticOptions o = options();
  o.revalidate = 0ms;
  const Server server{static_router(o)};
  auto scenario = [](const Server& s, const fs::path& file) -> Task<void> {
    const Response first = co_await support::respond(s, request_text("GET", "/hello.txt"));
    EXPECT_EQ(support::body_of(first), "hello, file\n");
    write_file(file, "a new and longer content\n");
    const Response second = co_await support::respond(s, request_text("GET", "/hello.txt"));
    EXPECT_EQ(support::body_of(second), "a new and longer content\n");
    EXPECT_NE(first.headers.get("ETag"), second.headers.get("ETag"));
    fs::remove(file);
    const Response third = co_await support::respond(s, request_text("GET", "/hello.txt"));
    EXPECT_EQ(third.status, 404);
  };
  wirekit::test::run(scenario(server, www_ / "hello.txt"));
}

TEST_F(StaticFilesTest, AModifiedFileIsCompressedAgainAfterRevalidate) {
  write_file(www_ / "page.txt", text_of(1000));
  StaticOptions o = options();
  o.revalidate = 0ms;
  const Server server{static_router(o)};
  auto scenario = [](const Server& s, const fs::path& file) -> Task<void> {
    const std::string headers = "Accept-Encoding: gzip\r\n";
    const Response first = co_await support::respond(s, request_text("GET", "/page.txt", headers));
    EXPECT_EQ(codec::decompress(codec::Encoding::gzip, support::body_of(first), 1 << 20),
              text_of(1000));
    write_file(file, text_of(1500));
    const Response second = co_await support::respond(s, request_text("GET", "/page.txt", headers));
    EXPECT_EQ(codec::decompress(codec::Encoding::gzip, support::body_of(second), 1 << 20),
              text_of(1500));
  };
  wirekit::test::run(scenario(server, www_ / "page.txt"));
}

TEST_F(StaticFilesTest, ALargeFileIsSentFromTheFile) {
  const std::string data = binary_of(300 * 1024);
  write_file(www_ / "large.bin", data);
  const Response r = fetch("/large.bin");
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(r.file.has_value());
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.file->offset, 0u);
  EXPECT_EQ(r.file->length, data.size());
  EXPECT_TRUE(support::body_of(r) == data);
}

TEST_F(StaticFilesTest, ALargeFileArrivesWholeOverANonSocketStream) {
  const std::string data = binary_of(300 * 1024);
  write_file(www_ / "large.bin", data);
  const Server server{static_router(options())};
  wirekit::test::run(support::converse(server, [&data](support::Client& c) -> Task<void> {
    co_await c.send(request_text("GET", "/large.bin") +
                    request_text("GET", "/large.bin", "Range: bytes=1000-200999\r\n") +
                    request_text("HEAD", "/large.bin") + request_text("GET", "/hello.txt"));
    const support::WireResponse whole = co_await c.next();
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.header("Content-Length"), std::to_string(data.size()));
    EXPECT_TRUE(whole.body == data);
    const support::WireResponse part = co_await c.next();
    EXPECT_EQ(part.status, 206);
    EXPECT_TRUE(part.body == data.substr(1000, 200000));
    const support::WireResponse head = co_await c.next(true);
    EXPECT_EQ(head.header("Content-Length"), std::to_string(data.size()));
    EXPECT_EQ((co_await c.next()).body, "hello, file\n");
  }));
}

}  // namespace
}  // namespace wirekit::http
