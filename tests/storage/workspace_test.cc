#include "storage/workspace.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::storage {
namespace {

using ::sluice::testing::IsOk;
namespace fs = std::filesystem;
using ::sluice::testing::ReadFile;
using ::sluice::testing::StatusIs;
using ::sluice::testing::TempDir;
using ::sluice::testing::WriteFile;
using ::testing::HasSubstr;

class WorkspaceTest : public ::testing::Test {
 protected:
  fs::path Root() const { return dir_.path() / "project"; }
  fs::path ConfigFile() const { return Root() / ".sluice" / "config.yaml"; }

  // Initializes a workspace, then replaces its config.yaml.
  void InitWithConfig(const std::string& yaml) {
    ASSERT_THAT(Workspace::Init(Root()), IsOk());
    fs::remove(ConfigFile());
    WriteFile(ConfigFile(), yaml);
  }

  TempDir dir_;
};

TEST_F(WorkspaceTest, InitCreatesAWorkspaceThatOpens) {
  ASSERT_OK_AND_ASSIGN(auto workspace, Workspace::Init(Root()));
  EXPECT_EQ(workspace->root(), Root());
  EXPECT_TRUE(fs::is_regular_file(Root() / ".sluice" / "sluice.db"));
  EXPECT_TRUE(fs::is_directory(Root() / ".sluice" / "objects"));
  EXPECT_TRUE(fs::is_regular_file(ConfigFile()));
  // Nothing is left of the staging folder.
  for (const auto& entry : fs::directory_iterator(Root())) {
    EXPECT_EQ(entry.path().filename(), ".sluice");
  }
  EXPECT_THAT(ReadFile(ConfigFile()), HasSubstr("metadata: sqlite:///.sluice/sluice.db\n"));
  EXPECT_THAT(ReadFile(ConfigFile()), HasSubstr("blobs: file:.sluice/objects\n"));
  EXPECT_THAT(ReadFile(ConfigFile()), HasSubstr("server:\n  host: 127.0.0.1\n  port: 5000\n"));

  ASSERT_OK_AND_ASSIGN(BlobInfo blob, workspace->blobs().Put("hello"));
  ASSERT_THAT(
      workspace->database().Write([](Connection& c) { return c.Execute("CREATE TABLE t (a)"); }),
      IsOk());
  workspace.reset();

  ASSERT_OK_AND_ASSIGN(workspace, Workspace::Open(Root()));
  EXPECT_EQ(workspace->config().metadata_uri, "sqlite:///.sluice/sluice.db");
  EXPECT_EQ(workspace->config().blob_uri, "file:.sluice/objects");
  EXPECT_EQ(workspace->config().server_host, "127.0.0.1");
  EXPECT_EQ(workspace->config().server_port, 5000);
  EXPECT_EQ(workspace->blobs().LocalPath(blob.digest),
            Root() / ".sluice" / "objects" / blob.digest.substr(0, 2) / blob.digest.substr(2));
  ASSERT_OK_AND_ASSIGN(std::string hello, workspace->blobs().ReadAll(blob.digest));
  EXPECT_EQ(hello, "hello");
  EXPECT_THAT(
      workspace->database().Read([](Connection& c) { return c.Query("SELECT * FROM t").status(); }),
      IsOk());
}

TEST_F(WorkspaceTest, InitTwiceIsAlreadyExists) {
  ASSERT_THAT(Workspace::Init(Root()), IsOk());
  EXPECT_THAT(Workspace::Init(Root()),
              StatusIs(StatusCode::kAlreadyExists, "a Sluice workspace already exists in '" +
                                                       Root().string() + "' (.sluice is present)"));
}

TEST_F(WorkspaceTest, OpenWithoutWorkspaceSaysToRunInit) {
  fs::create_directories(Root());
  EXPECT_THAT(Workspace::Open(Root()),
              StatusIs(StatusCode::kNotFound, "no Sluice workspace in '" + Root().string() +
                                                  "': run `sluice init` there to create one"));
}

TEST_F(WorkspaceTest, AnInterruptedInitIsNeitherOpenedNorInTheWay) {
  // What a crash during Init leaves: a staging folder, never .sluice itself.
  WriteFile(Root() / ".sluice.init-123-abc" / "sluice.db", "");
  EXPECT_THAT(Workspace::Open(Root()), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(Workspace::Init(Root()), IsOk());
}

TEST_F(WorkspaceTest, FindWalksUpToTheNearestWorkspace) {
  ASSERT_THAT(Workspace::Init(Root()), IsOk());
  fs::create_directories(Root() / "src" / "deep");
  ASSERT_OK_AND_ASSIGN(fs::path found, Workspace::Find(Root() / "src" / "deep"));
  EXPECT_EQ(found, Root());
  ASSERT_OK_AND_ASSIGN(found, Workspace::Find(Root()));
  EXPECT_EQ(found, Root());
  ASSERT_OK_AND_ASSIGN(found, Workspace::Find(Root() / "src" / ""));
  EXPECT_EQ(found, Root());

  fs::create_directories(dir_ / "elsewhere");
  EXPECT_THAT(Workspace::Find(dir_ / "elsewhere"),
              StatusIs(StatusCode::kNotFound,
                       "no Sluice workspace (.sluice folder) in '" + (dir_ / "elsewhere").string() +
                           "' or any folder above it: run `sluice init` to create one"));
}

TEST_F(WorkspaceTest, AMovedWorkspaceStillOpens) {
  ASSERT_OK_AND_ASSIGN(auto workspace, Workspace::Init(Root()));
  ASSERT_OK_AND_ASSIGN(BlobInfo blob, workspace->blobs().Put("data"));
  workspace.reset();
  fs::rename(Root(), dir_ / "moved");
  ASSERT_OK_AND_ASSIGN(workspace, Workspace::Open(dir_ / "moved"));
  ASSERT_OK_AND_ASSIGN(bool has, workspace->blobs().Has(blob.digest));
  EXPECT_TRUE(has);
}

TEST_F(WorkspaceTest, AbsoluteUrisAndServerSettingsAreRead) {
  const fs::path elsewhere = dir_ / "shared";
  InitWithConfig(
      fmt::format("metadata: sqlite:///.sluice/sluice.db\nblobs: file://{}\n"
                  "server: {{host: 0.0.0.0, port: 8080}}\n",
                  elsewhere.string()));
  ASSERT_OK_AND_ASSIGN(auto workspace, Workspace::Open(Root()));
  EXPECT_EQ(workspace->config().server_host, "0.0.0.0");
  EXPECT_EQ(workspace->config().server_port, 8080);
  ASSERT_OK_AND_ASSIGN(BlobInfo blob, workspace->blobs().Put("x"));
  EXPECT_TRUE(workspace->blobs().LocalPath(blob.digest)->string().starts_with(elsewhere.string()));
}

TEST_F(WorkspaceTest, MissingKeysTakeDefaults) {
  InitWithConfig("# nothing set\n");
  ASSERT_OK_AND_ASSIGN(auto workspace, Workspace::Open(Root()));
  EXPECT_EQ(workspace->config().server_port, 5000);
  EXPECT_EQ(workspace->config().metadata_uri, "sqlite:///.sluice/sluice.db");
}

struct BadConfigCase {
  std::string yaml;
  StatusCode code;
  std::string message;  // after "config file '<path>': "
};

TEST_F(WorkspaceTest, BadConfigsNameTheKeyAndTheFile) {
  const BadConfigCase cases[] = {
      {"metadata: sqlite:///.sluice/sluice.db\ncolour: blue\n", StatusCode::kInvalidArgument,
       "unknown key 'colour' (known keys: metadata, blobs, server)"},
      {"server:\n  hots: localhost\n", StatusCode::kInvalidArgument,
       "unknown key 'server.hots' (known keys under 'server': host, port)"},
      {"server:\n  port: eighty\n", StatusCode::kInvalidArgument,
       "key 'server.port': expected a port number from 0 to 65535, got 'eighty'"},
      {"server:\n  port: 70000\n", StatusCode::kInvalidArgument,
       "key 'server.port': expected a port number from 0 to 65535, got '70000'"},
      {"server: 5000\n", StatusCode::kInvalidArgument,
       "key 'server': expected a map with host and port"},
      {"metadata: [a, b]\n", StatusCode::kInvalidArgument, "key 'metadata': expected a string"},
      {"metadata: mysql://db/sluice\n", StatusCode::kInvalidArgument,
       "key 'metadata': metadata URI 'mysql://db/sluice' is not supported: write "
       "sqlite:///<path relative to the workspace> or sqlite:////<absolute path>"},
      {"metadata: postgresql://user@db:5432/sluice\n", StatusCode::kUnimplemented,
       "key 'metadata': metadata URI 'postgresql://user@db:5432/sluice': the PostgreSQL backend "
       "is not available yet; use sqlite:///.sluice/sluice.db"},
      {"blobs: s3://bucket/prefix\n", StatusCode::kUnimplemented,
       "key 'blobs': blob URI 's3://bucket/prefix': the S3 backend is not available yet; use "
       "file:.sluice/objects"},
      {"blobs: file://.sluice/objects\n", StatusCode::kInvalidArgument,
       "key 'blobs': blob URI 'file://.sluice/objects' names a host, not a local folder: write "
       "file:<path relative to the workspace> or file:///<absolute path>"},
      {"- a list\n", StatusCode::kInvalidArgument,
       "expected a map of keys (metadata, blobs, server)"},
  };
  for (const BadConfigCase& c : cases) {
    SCOPED_TRACE(c.yaml);
    fs::remove_all(Root());
    InitWithConfig(c.yaml);
    EXPECT_THAT(Workspace::Open(Root()),
                StatusIs(c.code, "config file '" + ConfigFile().string() + "': " + c.message));
  }
}

TEST_F(WorkspaceTest, YamlSyntaxErrorsGiveTheLine) {
  InitWithConfig("metadata: sqlite:///x.db\nserver: {host: [\n");
  EXPECT_THAT(Workspace::Open(Root()),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("config file '" + ConfigFile().string() + "' line ")));
}

TEST_F(WorkspaceTest, AMissingDatabaseIsNotSilentlyRecreated) {
  ASSERT_THAT(Workspace::Init(Root()), IsOk());
  fs::remove(Root() / ".sluice" / "sluice.db");
  EXPECT_THAT(Workspace::Open(Root()),
              StatusIs(StatusCode::kNotFound,
                       "opening workspace '" + Root().string() + "': database '" +
                           (Root() / ".sluice" / "sluice.db").string() + "' does not exist"));
}

TEST_F(WorkspaceTest, AMissingConfigIsReported) {
  ASSERT_THAT(Workspace::Init(Root()), IsOk());
  fs::remove(ConfigFile());
  EXPECT_THAT(Workspace::Open(Root()),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("workspace '" + Root().string() + "' is incomplete: '" +
                                 ConfigFile().string() + "' is missing")));
}

TEST(WorkspaceUriTest, PathsResolveAgainstTheRoot) {
  const fs::path root = "/w";
  EXPECT_EQ(*SqlitePathOfUri("sqlite:///.sluice/sluice.db", root), "/w/.sluice/sluice.db");
  EXPECT_EQ(*SqlitePathOfUri("sqlite:////var/lib/s.db", root), "/var/lib/s.db");
  EXPECT_EQ(*SqlitePathOfUri("sqlite:///../shared/s.db", root), "/shared/s.db");
  EXPECT_EQ(*LocalPathOfBlobUri("file:.sluice/objects", root), "/w/.sluice/objects");
  EXPECT_EQ(*LocalPathOfBlobUri("file:///srv/blobs", root), "/srv/blobs");
  EXPECT_EQ(*LocalPathOfBlobUri("file:/srv/blobs", root), "/srv/blobs");
  EXPECT_EQ(*LocalPathOfBlobUri("file://localhost/srv/blobs", root), "/srv/blobs");
  EXPECT_THAT(SqlitePathOfUri("sqlite:///", root), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(LocalPathOfBlobUri("/plain/path", root), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace sluice::storage
