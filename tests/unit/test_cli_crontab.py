"""Reading crontabs as cron reads them: which lines become tasks, and why the others do not."""

from __future__ import annotations

from pathlib import Path

from sundial_cli.crontab import CronJob, Remark, parse_crontab

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample.crontab"


def entry(text: str, **options):
    (found,) = parse_crontab(text, **options).entries
    return found


def test_five_fields_and_a_command_become_a_job_in_the_default_timezone() -> None:
    job = entry("30 2  * * 1-5   /opt/nightly.sh > /tmp/log 2>&1", timezone="Europe/Berlin")
    assert isinstance(job, CronJob)
    assert (job.schedule, job.command, job.timezone) == (
        "30 2 * * 1-5",
        "/opt/nightly.sh > /tmp/log 2>&1",
        "Europe/Berlin",
    )
    assert job.payload() == {"command": "/opt/nightly.sh > /tmp/log 2>&1", "line": 1}


def test_macros_are_kept_for_the_schedule_parser_and_reboot_is_skipped_with_a_reason() -> None:
    assert entry("@Daily backup").schedule == "@daily"
    reboot = entry("@reboot start-tunnel")
    assert isinstance(reboot, Remark) and reboot.status == "skipped"
    assert "boot" in reboot.reason
    unknown = entry("@fortnightly x")
    assert isinstance(unknown, Remark) and unknown.status == "failed"
    assert "unknown macro" in unknown.reason


def test_cron_tz_sets_the_timezone_of_the_lines_below_only() -> None:
    crontab = parse_crontab("0 1 * * * a\nCRON_TZ=Asia/Tokyo\n0 1 * * * b\nTZ=UTC\n0 1 * * * c")
    assert [job.timezone for job in crontab.jobs] == ["UTC", "Asia/Tokyo", "UTC"]
    assert [e.status for e in crontab.entries if isinstance(e, Remark)] == ["applied", "applied"]


def test_an_unknown_cron_tz_is_refused_and_still_governs_the_lines_below() -> None:
    # Falling back to the earlier zone would fire the jobs below at the wrong times.
    crontab = parse_crontab("CRON_TZ=Moon/Base\n0 1 * * * b")
    remark, job = crontab.entries
    assert isinstance(remark, Remark) and remark.status == "failed"
    assert "Moon/Base" in remark.reason
    assert isinstance(job, CronJob) and job.timezone == "Moon/Base"


def test_mail_settings_are_skipped_and_other_variables_reach_the_jobs_below() -> None:
    crontab = parse_crontab(
        'MAILTO=ops@example.com\n0 1 * * * a\nPATH = "/usr/bin:/bin"\nSHELL=/bin/bash\n0 2 * * * b'
    )
    mail = crontab.entries[0]
    assert isinstance(mail, Remark) and mail.status == "skipped" and "mail" in mail.reason
    first, second = crontab.jobs
    assert "env" not in first.payload()
    assert second.payload()["env"] == {"PATH": "/usr/bin:/bin", "SHELL": "/bin/bash"}


def test_random_delay_becomes_jitter_in_seconds() -> None:
    crontab = parse_crontab("RANDOM_DELAY=5\n0 1 * * * a")
    assert crontab.jobs[0].jitter_seconds == 300
    bad = entry("RANDOM_DELAY=soon")
    assert isinstance(bad, Remark) and bad.status == "failed"


def test_percent_ends_the_command_and_the_rest_is_its_standard_input() -> None:
    job = entry(r"0 9 * * 1 mail -s hi team%Hello,%bye% and 100\% sure")
    assert job.command == "mail -s hi team"
    assert job.stdin == "Hello,\nbye\n and 100% sure"
    assert entry(r"0 9 * * 1 echo 100\% done").command == "echo 100% done"


def test_a_system_crontab_has_a_user_column_before_the_command() -> None:
    job = entry("17 * * * * root cd / && run-parts --report /etc/cron.hourly", system=True)
    assert (job.user, job.command) == ("root", "cd / && run-parts --report /etc/cron.hourly")
    assert job.payload()["user"] == "root"
    assert entry("@daily www-data /usr/bin/cleanup", system=True).user == "www-data"
    missing = entry("17 * * * * root", system=True)
    assert isinstance(missing, Remark) and missing.status == "failed"


def test_a_user_column_in_a_user_crontab_is_flagged() -> None:
    job = entry("17 * * * * root run-parts /etc/cron.hourly")
    assert job.warning is not None and "--system" in job.warning


def test_lines_without_five_fields_and_a_command_are_refused() -> None:
    for line in ("* * * *", "0 1 * * *", "@hourly"):
        remark = entry(line)
        assert isinstance(remark, Remark) and remark.status == "failed", line


def test_comments_and_blank_lines_are_counted_not_listed() -> None:
    crontab = parse_crontab("# a\n\n   # b\n0 1 * * * a\n")
    assert crontab.ignored == 3 and len(crontab.entries) == 1


def test_task_names_are_valid_and_stable_wherever_the_line_sits() -> None:
    first = parse_crontab("0 1 * * * /usr/local/bin/Backup.sh --full").jobs[0]
    moved = parse_crontab("# moved\n\n0 1 * * *   /usr/local/bin/Backup.sh --full").jobs[0]
    name = first.task_name("My Crontab!")
    assert name == moved.task_name("My Crontab!")
    assert name.startswith("my-crontab-backup.sh-") and len(name) <= 64
    other_zone = parse_crontab("0 1 * * * /usr/local/bin/Backup.sh --full", timezone="Asia/Tokyo")
    assert other_zone.jobs[0].task_name("My Crontab!") != name


def test_the_sample_crontab_reads_line_by_line() -> None:
    crontab = parse_crontab(SAMPLE.read_text())
    statuses = {e.line: (e.status if isinstance(e, Remark) else "job") for e in crontab.entries}
    assert statuses == {
        2: "applied",  # SHELL
        3: "skipped",  # MAILTO
        6: "job",
        7: "job",
        8: "job",  # @hourly
        9: "skipped",  # @reboot
        11: "applied",  # CRON_TZ
        12: "job",
        13: "job",
        14: "job",  # never fires: the task model refuses it, not the reader
        15: "job",  # not a crontab line: its "schedule" is refused the same way
        16: "job",  # the same job as line 13
    }
