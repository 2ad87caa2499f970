"""The README's curl walkthrough, pasted twice against the embedded mode."""

from __future__ import annotations

import re
import subprocess

from tests.servers import PROJECT_DIR, embedded_server


def walkthrough() -> str:
    """Every shell block of the README's walkthrough, in order, as one script."""
    readme = (PROJECT_DIR / "README.md").read_text()
    start = readme.index("## Five minutes with the API")
    section = readme[start : readme.index("\n## ", start + 1)]
    blocks = [part.split("```", 1)[0] for part in section.split("```sh\n")[1:]]
    assert blocks, "the walkthrough has no shell block"
    return "\n".join(blocks)


def test_the_readme_walkthrough_runs_twice_in_the_embedded_mode(tmp_path):
    """Every step answers as its comment says; a second paste makes a new order."""
    console = tmp_path / "console.log"  # what `make run` prints: mails included
    with embedded_server(tmp_path, tee=console) as (port, env):
        # `read` takes the code from the console mail, as a person would.
        script = walkthrough().replace(
            "http://127.0.0.1:8000", f"http://127.0.0.1:{port}"
        )
        # It waits for this run's mail (one more code line than when the run
        # started): the server writes it to the console on its own time.
        count = "$(grep -c 'to receive it: [0-9]' \"$CONSOLE\" || true)"
        seen = f"SEEN={count}\n"
        code_from_console = (
            f'for _ in $(seq 600); do [ "{count}" -gt "$SEEN" ] && break; sleep 0.1; '
            "done; "
            "CODE=$(grep -o 'to receive it: [0-9]*' \"$CONSOLE\" "
            "| tail -n 1 | grep -o '[0-9]*$')"
        )
        script = seen + re.sub(
            r"read -r -p '[^']*' CODE", lambda _: code_from_console, script
        )
        outputs = []
        for _ in range(2):
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                env={**env, "CONSOLE": str(console)},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            outputs.append(result)
        for result in outputs:
            assert result.returncode == 0, result.stdout + result.stderr
            lines = result.stdout.splitlines()
            assert re.match(r"^[0-9a-f-]{36}$", lines[0])
            assert re.match(
                r"^FS-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$", lines[1]
            )
            assert lines[2] == "2"  # the ZPL label's barcode and QR code
            assert lines[3:6] == ["in_transit", "out_for_delivery", "delivered"]
            assert '"status":"delivered"' in lines[6]
        assert outputs[0].stdout.splitlines()[0] != outputs[1].stdout.splitlines()[0]
