"""pytest plugin loaded by `make test`: here a skipped test counts as a failed one."""


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        reporter.write_line(
            f"{len(skipped)} test(s) skipped: a skipped test counts as a failure here.",
            red=True,
        )
        session.exitstatus = 1
