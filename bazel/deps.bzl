"""What a workspace that uses btfreg declares, in one call.

btfreg builds offline on Debian's Bazel 4 packages: every external
repository is local. In your WORKSPACE, after declaring btfreg itself:

    local_repository(name = "btfreg", path = "/path/to/btfreg")
    load("@btfreg//bazel:deps.bzl", "btfreg_dependencies")
    btfreg_dependencies(btfreg_path = "/path/to/btfreg")

`btfreg_path` is the same path (absolute, or relative to your workspace).
Repositories you declare yourself before the call are kept.
"""

def _local(name, path):
    if name not in native.existing_rules():
        native.local_repository(name = name, path = path)

def btfreg_dependencies(btfreg_path):
    """Declares the local repositories btfreg's BUILD files need.

    Args:
      btfreg_path: where btfreg is, as given to local_repository(name = "btfreg").
    """
    _local("rules_cc", btfreg_path + "/third_party/rules_cc")
    _local("remote_coverage_tools", btfreg_path + "/third_party/remote_coverage_tools")
    _local("platforms", "/usr/share/bazel/platforms")
    _local("rules_java", "/usr/share/bazel/rules/java")
