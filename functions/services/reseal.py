"""Re-seal every stored refresh token with the newest `token-key` version (an admin command).

Syncing links move to the newest version on their own (engine `_reseal`); this command moves
all the others too (`consented`, `calendar_missing`, `needs_reconsent`, ...), so an old version
can be disabled without leaving any link behind. It is idempotent (a token already on the
newest version is left alone, a token replaced meanwhile is not overwritten) and resumable
(`--after LINK_ID` starts after the last link a broken run printed). A token that no enabled
version opens turns its link into `needs_reconsent`: it can only be consented again.

    python -m functions.services.reseal            # re-seal, then print the versions in use
    python -m functions.services.reseal --report   # only count the links per key version
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from google.cloud import firestore

from functions import i18n, status_log
from functions.adapters.sync_store import SyncStore
from functions.context import Context, get_context
from functions.crypto import TokenDecryptError
from functions.domain import LinkStatus

log = logging.getLogger(__name__)
PAGE = 200


@dataclass
class ResealReport:
    resealed: int = 0
    unreadable: list[str] = field(default_factory=list)   # link ids now needs_reconsent
    versions: Counter[str] = field(default_factory=Counter)  # key version → links using it
    last_link: str | None = None  # where a broken run resumes (--after)


def _links(db: firestore.Client, after: str | None) -> Iterator[firestore.DocumentSnapshot]:
    """Every link document in id order, a page at a time (a long run holds no big result)."""
    while True:
        query = db.collection("links").order_by("__name__").limit(PAGE)
        if after is not None:
            query = query.start_after({"__name__": db.collection("links").document(after)})
        page = list(query.stream())
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].id


def reseal_all(ctx: Context, *, after: str | None = None, report_only: bool = False,
               report: ResealReport | None = None) -> ResealReport:
    cipher, store, sync_store = ctx.cipher, ctx.store, SyncStore(ctx.store.db)
    report = report if report is not None else ResealReport()
    for snap in _links(ctx.store.db, after):
        report.last_link = snap.id
        link = store.link_from(snap.to_dict())
        sealed = link.sealed_refresh_token
        if not sealed:
            continue
        if report_only or not cipher.needs_rotation(sealed):
            report.versions[str(sealed.get("kid"))] += 1
            continue
        try:
            fresh = cipher.encrypt(cipher.decrypt(sealed, link.link_id), link.link_id)
        except TokenDecryptError:
            report.unreadable.append(link.link_id)
            store.update_link(link.branch_id, link.resource_id,
                              {"status": LinkStatus.NEEDS_RECONSENT,
                               "last_error": i18n.stored("token_unreadable")})
            store.audit(link.branch_id, link.resource_id, "reseal", "system", "token_unreadable",
                        {"key_version": str(sealed.get("kid"))})
            status_log.link_status_changed(link, str(LinkStatus.NEEDS_RECONSENT),
                                           status_log.TOKEN_UNREADABLE, datetime.now(UTC))
            report.versions[str(sealed.get("kid"))] += 1
            continue
        if sync_store.reseal(link, sealed, fresh):
            report.resealed += 1
            report.versions[fresh["kid"]] += 1
        else:  # replaced meanwhile (a new consent, a sync run): that one is already current
            report.versions[str((store.get_link(link.branch_id, link.resource_id)
                                 .sealed_refresh_token or {}).get("kid"))] += 1
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.services.reseal",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", action="store_true", help="only count the links per key version")
    parser.add_argument("--after", metavar="LINK_ID", help="resume after this link id")
    args = parser.parse_args(argv)
    report = ResealReport()
    try:
        reseal_all(get_context(), after=args.after, report_only=args.report, report=report)
    except Exception:
        print(f"stopped; run again (nothing is done twice) or resume with --after {report.last_link}",
              file=sys.stderr)
        raise
    if not args.report:
        print(f"re-sealed: {report.resealed}")
        for link_id in report.unreadable:
            print(f"unreadable (now needs_reconsent): {link_id}")
    for version, count in sorted(report.versions.items()):
        print(f"key version {version}: {count} link(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
