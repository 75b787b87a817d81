"""Repositories of the stored OCPI documents: locations, tariffs, sessions, CDRs and tokens.

Each row keeps the object as the compact JSON it is served as, next to the few columns that lookups and
filters need. Writes go through `upsert`, which derives those columns from a validated OCPI model, so the
columns can never disagree with the document. Reads for list GETs go through `page`, which returns the
stored JSON text untouched: the Sender interfaces splice it into the response without parsing it again.

Ids are CiStrings: every lookup goes through `ci_key`, while the document keeps the id as its owner wrote
it. Rows are ordered by their surrogate `id` (creation order), which keeps offset paging stable while
objects are updated in place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from laddhub.ocpi.common import OcpiModel, ci_key
from laddhub.ocpi.v2_2_1.cdrs import CDR
from laddhub.ocpi.v2_2_1.locations import Location
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.ocpi.v2_2_1.tokens import Token, TokenType
from laddhub.store.tables import (
    CdrRecord,
    DocumentColumns,
    LocationRecord,
    SessionRecord,
    TariffRecord,
    TokenRecord,
)

__all__ = [
    "ANY_OWNER",
    "UNREAD",
    "CdrRepository",
    "DocumentPage",
    "DocumentRepository",
    "LocationRepository",
    "Owner",
    "PageQuery",
    "SessionRepository",
    "TariffRepository",
    "TokenRepository",
]


class _AnyOwner(Enum):
    ANY = "any"


ANY_OWNER = _AnyOwner.ANY
"""Owner filter matching our own objects and every partner's copies alike (the admin views)."""

Owner = int | None | _AnyOwner
"""Whose rows a query reads: None for our own objects, a partner id for that partner's copies."""


class _Unread(Enum):
    UNREAD = "unread"


UNREAD = _Unread.UNREAD
"""`upsert`'s default for `stored`: the repository reads the current row itself."""

# PostgreSQL (asyncpg) and SQLite cap the bound parameters of one statement near 32,000; chunked deletes
# stay far below that.
_CHUNK = 1000


@dataclass
class _Bound:
    """Filter conditions with named bind parameters, their values, and the shape naming the conditions."""

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    shape: tuple[Hashable, ...] = ()

    def add(self, shape: Hashable, condition: ColumnElement[bool], **params: Any) -> None:
        self.conditions.append(condition)
        self.params.update(params)
        self.shape = (*self.shape, shape)


@dataclass(frozen=True)
class _Also:
    """A scalar computed with a page, over filters of its own (with the same parameter names)."""

    name: str
    filters: _Bound
    build: Callable[[list[ColumnElement[bool]]], ColumnElement[Any]]


# Built statements by (table, dialect, query shape): a few dozen at most, so never evicted.
_STATEMENTS: dict[Hashable, Any] = {}


@dataclass(frozen=True, slots=True)
class PageQuery:
    """The filters of one page of documents.

    `date_from` is inclusive and `date_to` exclusive on `last_updated`, as the OCPI paging rules say.
    `parties` restricts to objects owned by one of these (country_code, party_id) pairs; `token_parties`
    to sessions and CDRs whose token belongs to one of them (what an eMSP may read); `visible_ids`
    adds the rows with these surrogate ids to the public ones (unpublished Locations a caller may see,
    see `LocationRepository`). `limit` None returns every matching row.
    """

    owner: Owner = None
    offset: int = 0
    limit: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    parties: Collection[tuple[str, str]] | None = None
    token_parties: Collection[tuple[str, str]] | None = None
    visible_ids: Collection[int] | None = None


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """One page of stored JSON documents (in `id` order) and how many documents match in total."""

    documents: list[str]
    total: int


Record = TypeVar("Record", bound=DocumentColumns)
Model = TypeVar("Model", bound=OcpiModel)


class DocumentRepository(Generic[Record, Model]):
    """Lookups, upserts and pages of one document table.

    Subclasses name their record class and say which extra columns a model fills; everything else (keys,
    owner, timestamps, the document text) is common to all OCPI objects.
    """

    record: ClassVar[type[Any]]
    model: ClassVar[type[OcpiModel]]

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- keys and columns ----------------------------------------------------------------------------

    def _identity(self, model: Model) -> tuple[str, str, str]:
        """(country_code, party_id, object id) of a model; tokens override it (their id is the uid)."""
        return (model.country_code, model.party_id, model.id)  # type: ignore[attr-defined]

    def _extra_columns(self, model: Model) -> dict[str, Any]:
        """Columns besides the common ones that the model fills (visibility, token owner, status)."""
        return {}

    def _key_filter(self, country_code: str, party_id: str, object_id: str) -> ColumnElement[bool]:
        table = self.record
        return and_(
            table.country_code == ci_key(country_code),
            table.party_id == ci_key(party_id),
            table.object_key == ci_key(object_id),
        )

    # --- single objects ------------------------------------------------------------------------------

    async def _first(self, condition: ColumnElement[bool], lock: bool) -> Record | None:
        statement = select(self.record).where(condition)
        if lock:
            # Serialises concurrent read-modify-write of one object on PostgreSQL (SQLite, which has one
            # writer at a time anyway, ignores it).
            statement = statement.with_for_update()
        result = await self._session.execute(statement)
        found: Record | None = result.scalars().first()
        return found

    async def get(
        self, country_code: str, party_id: str, object_id: str, *, lock: bool = False
    ) -> Record | None:
        """The stored object with this owner and id, compared without regard to case."""
        return await self._first(self._key_filter(country_code, party_id, object_id), lock)

    def parse(self, record: Record) -> Model:
        """The stored document as its OCPI model (for changes; list GETs serve the text as is)."""
        parsed: Model = self.model.model_validate_json(record.document)  # type: ignore[assignment]
        return parsed

    async def upsert(
        self,
        model: Model,
        *,
        partner_id: int | None,
        now: datetime,
        stored: Record | _Unread | None = UNREAD,
    ) -> Record:
        """Store the object, replacing the stored one with the same key; return its record.

        The key columns, `last_updated` and the document all come from `model`; `created_at` is set only
        when the row is new, so the creation order that paging relies on never changes. The caller has
        already decided that the change is allowed (owner, `last_updated` not older). A caller that has
        just read the row (under lock) passes it, or None for "none", as `stored` to save a query.
        """
        country_code, party_id, object_id = self._identity(model)
        existing = await self._find_for(model) if isinstance(stored, _Unread) else stored
        columns = {
            "partner_id": partner_id,
            "country_code": ci_key(country_code),
            "party_id": ci_key(party_id),
            "object_id": object_id,
            "object_key": ci_key(object_id),
            "last_updated": model.last_updated,  # type: ignore[attr-defined]
            "document": model.to_ocpi_json().decode(),
            **self._extra_columns(model),
        }
        if existing is None:
            record: Record = self.record(created_at=now, **columns)
            self._session.add(record)
            await self._session.flush()
            return record
        for name, value in columns.items():
            setattr(existing, name, value)
        return existing

    async def _find_for(self, model: Model) -> Record | None:
        country_code, party_id, object_id = self._identity(model)
        return await self.get(country_code, party_id, object_id, lock=True)

    async def object_keys(self, country_code: str, party_id: str, owner: Owner = None) -> set[str]:
        """The (upper-cased) ids of one party's objects: to check references such as a tariff id."""
        bound = self._filters(PageQuery(owner=owner, parties=((country_code, party_id),)))
        statement = select(self.record.object_key).where(*bound.conditions)
        return set((await self._session.execute(statement, bound.params)).scalars())

    async def remove(self, record: Record) -> None:
        """Delete a stored object (a Tariff DELETE; Locations are never deleted, only marked REMOVED)."""
        await self._session.delete(record)
        await self._session.flush()

    # --- lists ---------------------------------------------------------------------------------------

    def _filters(self, query: PageQuery) -> _Bound:
        """The query's filters, written with named bind parameters, and their values.

        Statements built from them depend only on the *shape* of the query (which filters it uses), so
        a list GET reuses an already built (and compiled) statement and only sends new values.
        """
        table = self.record
        bound = _Bound()
        if query.owner is None:
            bound.add("ours", table.partner_id.is_(None))
        elif not isinstance(query.owner, _AnyOwner):
            bound.add("partner", table.partner_id == bindparam("owner"), owner=query.owner)
        if query.date_from is not None:
            since = bindparam("date_from", type_=table.last_updated.type)
            bound.add("since", table.last_updated >= since, date_from=query.date_from)
        if query.date_to is not None:
            until = bindparam("date_to", type_=table.last_updated.type)
            bound.add("until", table.last_updated < until, date_to=query.date_to)
        if query.parties is not None:
            _pair_in(bound, "owner", table.country_code, table.party_id, query.parties)
        if query.token_parties is not None:
            _pair_in(bound, "token", table.token_country_code, table.token_party_id, query.token_parties)
        if query.visible_ids is not None:
            ids = sorted(set(query.visible_ids))
            bound.add(
                ("visible", bool(ids)), self._visibility(bool(ids)), **({"visible": ids} if ids else {})
            )
        return bound

    def _visibility(self, any_visible: bool) -> ColumnElement[bool]:
        """Only the rows whose ids the `visible` parameter lists (none when `any_visible` is false)."""
        return self.record.id.in_(bindparam("visible", expanding=True)) if any_visible else false()

    async def count(self, query: PageQuery) -> int:
        """How many rows match the filters of `query` (its offset and limit aside): `X-Total-Count`."""
        bound = self._filters(query)
        statement = self._statement(
            ("count", bound.shape),
            lambda: select(func.count()).select_from(self.record).where(*bound.conditions),
        )
        return int((await self._session.execute(statement, bound.params)).scalar_one())

    async def page(self, query: PageQuery) -> DocumentPage:
        """The stored JSON of one page of matching objects, in creation order, and the total count.

        One statement answers both: the page's ids are picked from an index first (so skipping `offset`
        rows walks the index, not the large documents, and a deep page costs what the first one does),
        then their documents are read by id, each row carrying the total. Only a page past the end needs
        a second statement, to count.
        """
        page, _ = await self._page(query, None)
        return page

    def _statement(self, shape: Hashable, build: Callable[[], Any]) -> Any:
        """The statement of this repository for a query shape, built once per dialect."""
        dialect = self._session.bind.dialect.name if self._session.bind is not None else ""
        key = (self.record.__tablename__, dialect, shape)
        statement = _STATEMENTS.get(key)
        if statement is None:
            statement = _STATEMENTS[key] = build()
        return statement

    def _among(self, ids: Select[tuple[int]]) -> ColumnElement[bool]:
        """`id IN (ids)`, written so that a cached (generic) PostgreSQL plan stays a handful of index
        lookups: with `IN (subquery)` such a plan, not knowing LIMIT, joins by scanning the whole table;
        `= ANY(array)` is an array computed once, which it looks up by primary key."""
        if self._session.bind is not None and self._session.bind.dialect.name == "postgresql":
            page_ids = ids.subquery()
            # The cast makes `ANY (...)` take the array as a value, not as a row-returning subquery.
            array = cast(select(func.array_agg(page_ids.c.id)).scalar_subquery(), ARRAY(Integer))
            by_array: ColumnElement[bool] = self.record.id == any_(array)
            return by_array
        by_subquery: ColumnElement[bool] = self.record.id.in_(ids.scalar_subquery())
        return by_subquery

    async def _page(self, query: PageQuery, also: _Also | None) -> tuple[DocumentPage, Any]:
        """`page`, plus the value of the scalar `also` builds, computed in the same round trip."""
        bound = self._filters(query)
        extra_bound = also.filters if also is not None else _Bound()
        params = {**bound.params, **extra_bound.params}

        def columns() -> list[Any]:
            total = select(func.count()).select_from(self.record).where(*bound.conditions).scalar_subquery()
            return [total, also.build(extra_bound.conditions)] if also is not None else [total]

        shape = (bound.shape, also.name if also is not None else None, extra_bound.shape)
        if query.limit != 0:

            def build_page() -> Any:
                ids = (
                    select(self.record.id)
                    .where(*bound.conditions)
                    .order_by(self.record.id)
                    .offset(bindparam("offset"))
                )
                if query.limit is not None:
                    ids = ids.limit(bindparam("limit"))
                return (
                    select(*columns(), self.record.document).where(self._among(ids)).order_by(self.record.id)
                )

            statement = self._statement(("page", shape, query.limit is None), build_page)
            paging = {"offset": query.offset, **({"limit": query.limit} if query.limit is not None else {})}
            rows = (await self._session.execute(statement, {**params, **paging})).all()
            if rows:
                extra_value = rows[0][1] if also is not None else None
                return DocumentPage([row[-1] for row in rows], int(rows[0][0])), extra_value
        counting = self._statement(("totals", shape), lambda: select(*columns()))
        counted = (await self._session.execute(counting, params)).one()
        return DocumentPage([], int(counted[0])), (counted[1] if also is not None else None)

    async def records(self, query: PageQuery) -> Sequence[Record]:
        """The matching records themselves, in creation order (for services that work on the objects)."""
        bound = self._filters(query)
        statement = select(self.record).where(*bound.conditions).order_by(self.record.id).offset(query.offset)
        if query.limit is not None:
            statement = statement.limit(query.limit)
        found: Sequence[Record] = (await self._session.execute(statement, bound.params)).scalars().all()
        return found


def _pair_in(bound: _Bound, name: str, left: Any, right: Any, pairs: Collection[tuple[str, str]]) -> None:
    """Add `(left, right) IN pairs` to `bound` (upper-cased, as the columns hold them)."""
    normalised = sorted({(ci_key(country), ci_key(party)) for country, party in pairs})
    if not normalised:
        bound.add((name, 0), false())
    elif len(normalised) == 1:
        ((country, party),) = normalised
        condition = and_(left == bindparam(f"{name}_country"), right == bindparam(f"{name}_party"))
        bound.add((name, 1), condition, **{f"{name}_country": country, f"{name}_party": party})
    else:
        condition = tuple_(left, right).in_(bindparam(f"{name}_pairs", expanding=True))
        bound.add((name, 2), condition, **{f"{name}_pairs": normalised})


def _any_unpublished(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    # Selecting only the id lets the planner answer from the listing index (with `SELECT *` SQLite may
    # scan the table, documents and all, when statistics say `publish` is rarely selective).
    unpublished = select(LocationRecord.id).where(*conditions, LocationRecord.publish == false())
    return exists(unpublished).correlate(None)


class LocationRepository(DocumentRepository[LocationRecord, Location]):
    """Locations, with their `publish` flag as a column so public ones are filtered in SQL."""

    record = LocationRecord
    model = Location

    def _extra_columns(self, model: Location) -> dict[str, Any]:
        return {"publish": model.publish}

    def _visibility(self, any_visible: bool) -> ColumnElement[bool]:
        # Public Locations are for everyone; unpublished ones only for the callers given their ids.
        published = LocationRecord.publish == true()
        return (
            or_(published, LocationRecord.id.in_(bindparam("visible", expanding=True)))
            if any_visible
            else published
        )

    async def visible_page(
        self, query: PageQuery, visible: Callable[[], Awaitable[Collection[int]]]
    ) -> DocumentPage:
        """A page of the public Locations plus the unpublished ones the caller may see.

        `visible` works out the ids of the unpublished Locations the caller may see; it is asked only when
        unpublished Locations match the query at all, which the page's own statement finds out. So the
        usual list GET, where none do, costs one statement.
        """
        public = replace(query, visible_ids=())
        hidden = _Also("hidden", self._filters(replace(query, visible_ids=None)), _any_unpublished)
        page, any_hidden = await self._page(public, hidden)
        if not any_hidden:
            return page
        ids = await visible()
        return await self.page(replace(query, visible_ids=ids)) if ids else page

    async def unpublished(self, owner: Owner = None) -> Sequence[LocationRecord]:
        """The Locations with `publish: false`: few, and the only ones whose audience needs working out."""
        bound = self._filters(PageQuery(owner=owner))
        statement = (
            select(LocationRecord)
            .where(*bound.conditions, LocationRecord.publish == false())
            .order_by(LocationRecord.id)
        )
        return (await self._session.execute(statement, bound.params)).scalars().all()


class TariffRepository(DocumentRepository[TariffRecord, Tariff]):
    """Tariffs."""

    record = TariffRecord
    model = Tariff


class SessionRepository(DocumentRepository[SessionRecord, Session]):
    """Sessions, with the token's owner (who may see the session) and the status as columns."""

    record = SessionRecord
    model = Session

    def _extra_columns(self, model: Session) -> dict[str, Any]:
        return {
            "token_country_code": ci_key(model.cdr_token.country_code),
            "token_party_id": ci_key(model.cdr_token.party_id),
            "token_uid": model.cdr_token.uid,
            "status": model.status.value,
        }


class CdrRepository(DocumentRepository[CdrRecord, CDR]):
    """CDRs, with the token's owner (who may see the CDR) and the session they close as columns."""

    record = CdrRecord
    model = CDR

    def _extra_columns(self, model: CDR) -> dict[str, Any]:
        return {
            "token_country_code": ci_key(model.cdr_token.country_code),
            "token_party_id": ci_key(model.cdr_token.party_id),
            "session_key": None if model.session_id is None else ci_key(model.session_id),
        }


class TokenRepository(DocumentRepository[TokenRecord, Token]):
    """Tokens, identified by (country_code, party_id, uid, type): one uid may exist with several types."""

    record = TokenRecord
    model = Token

    def _identity(self, model: Token) -> tuple[str, str, str]:
        return (model.country_code, model.party_id, model.uid)

    def _extra_columns(self, model: Token) -> dict[str, Any]:
        return {"token_type": model.type.value}

    async def get_token(
        self, country_code: str, party_id: str, uid: str, token_type: TokenType | str, *, lock: bool = False
    ) -> TokenRecord | None:
        """The stored token with this owner, uid (any case) and type."""
        condition = and_(
            self._key_filter(country_code, party_id, uid), TokenRecord.token_type == str(token_type)
        )
        return await self._first(condition, lock)

    async def _find_for(self, model: Token) -> TokenRecord | None:
        return await self.get_token(model.country_code, model.party_id, model.uid, model.type, lock=True)

    async def by_uid(self, uid: str, token_type: TokenType | str | None = None) -> Sequence[TokenRecord]:
        """Every stored token with this uid (of this type, if given), whoever owns it.

        A charger reads only a uid (and knows its type), not the owning party, so local authorisation
        starts here.
        """
        statement = select(TokenRecord).where(TokenRecord.object_key == ci_key(uid))
        if token_type is not None:
            statement = statement.where(TokenRecord.token_type == str(token_type))
        return (await self._session.execute(statement.order_by(TokenRecord.id))).scalars().all()

    async def keys_of(self, partner_id: int) -> dict[tuple[str, str, str, str], int]:
        """Map the (country, party, uid key, type) of every token of a partner to its row id."""
        statement = select(
            TokenRecord.id,
            TokenRecord.country_code,
            TokenRecord.party_id,
            TokenRecord.object_key,
            TokenRecord.token_type,
        ).where(TokenRecord.partner_id == partner_id)
        rows = (await self._session.execute(statement)).all()
        return {(row[1], row[2], row[3], row[4]): row[0] for row in rows}

    async def delete_ids(self, ids: Collection[int]) -> int:
        """Delete tokens by row id (a full pull dropping what the eMSP no longer lists); return how many."""
        ordered = sorted(ids)
        deleted = 0
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            result = await self._session.execute(
                delete(TokenRecord)
                .where(TokenRecord.id.in_(chunk))
                .execution_options(synchronize_session=False)
            )
            deleted += int(getattr(result, "rowcount", 0) or 0)
        return deleted
