"""The reservation book in Redis (``MG_REDIS_URL``): exact across any number of processes.

Per account, in one hash slot (``{developer}`` is the key's hash tag): ``acct`` (a hash: balance,
day and month spend with the day and month they belong to, the last grant, when it was loaded),
``holds`` (hold id → amount) with ``hexp`` (hold id → expiry), and ``gen``. Each step of
:mod:`.book` is one Lua script, which Redis runs atomically, so no two processes ever both take
the last of a balance or a cap.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from local_gateway.services.billing.book import HOLD_TTL, AccountState, Settled, Status, Verdict
from mg.errors import ServiceUnavailableError

log = logging.getLogger("mg.gateway.billing")
# Without traffic an account is read from the database again after this long.
STATE_TTL_MS = 60_000
GEN_TTL_S = 86_400

_PURGE = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
for _, h in ipairs(expired) do redis.call('HDEL', KEYS[2], h) end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1]) end
"""

# KEYS acct, holds, hexp; ARGV now, hold id, amount, day, month, daily cap, monthly cap (-1: none).
_RESERVE = (
    _PURGE
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'load', 0, 0, 0, 0} end
local s = redis.call('HMGET', KEYS[1], 'balance', 'day_key', 'day', 'month_key', 'month', 'loaded')
local day = 0
if s[2] == ARGV[4] then day = tonumber(s[3]) end
local month = 0
if s[4] == ARGV[5] then month = tonumber(s[5]) end
local held = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do held = held + tonumber(v) end
local available = tonumber(s[1]) - held
local amount = tonumber(ARGV[3])
local age = tostring(tonumber(ARGV[1]) - tonumber(s[6]))
local dcap, mcap = tonumber(ARGV[6]), tonumber(ARGV[7])
if available <= 0 or available < amount then
  return {'credits', available, day + held, month + held, age}
end
if dcap >= 0 and day + held + amount > dcap then
  return {'daily', available, day + held, month + held, age}
end
if mcap >= 0 and month + held + amount > mcap then
  return {'monthly', available, day + held, month + held, age}
end
redis.call('HSET', KEYS[2], ARGV[2], amount)
redis.call('ZADD', KEYS[3], tonumber(ARGV[1]) + HOLD_TTL, ARGV[2])
redis.call('EXPIRE', KEYS[2], HOLD_TTL)
redis.call('EXPIRE', KEYS[3], HOLD_TTL)
return {'ok', available - amount, day + held + amount, month + held + amount, age}
""".replace("HOLD_TTL", str(int(HOLD_TTL)))
)

# KEYS acct, holds, hexp, gen; ARGV hold id ('' none), amount, day, month.
_SETTLE = """
if ARGV[1] ~= '' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], GEN_TTL)
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local amount = tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'balance', 'day_key', 'month_key', 'grant_id', 'grant')
local after = redis.call('HINCRBY', KEYS[1], 'balance', -amount)
if s[2] == ARGV[3] then redis.call('HINCRBY', KEYS[1], 'day', amount)
else redis.call('HSET', KEYS[1], 'day_key', ARGV[3], 'day', amount) end
if s[3] == ARGV[4] then redis.call('HINCRBY', KEYS[1], 'month', amount)
else redis.call('HSET', KEYS[1], 'month_key', ARGV[4], 'month', amount) end
return {tonumber(s[1]), after, tonumber(s[4]), tonumber(s[5])}
""".replace("GEN_TTL", str(GEN_TTL_S))

# KEYS acct, gen; ARGV generation, balance, day key, day, month key, month, grant id, grant, now.
_LOAD = """
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'balance', ARGV[2], 'day_key', ARGV[3], 'day', ARGV[4],
  'month_key', ARGV[5], 'month', ARGV[6], 'grant_id', ARGV[7], 'grant', ARGV[8], 'loaded', ARGV[9])
redis.call('PEXPIRE', KEYS[1], STATE_TTL)
return 1
""".replace("STATE_TTL", str(STATE_TTL_MS))

# KEYS acct, gen; ARGV 1 to bump the generation.
_FORGET = """
redis.call('DEL', KEYS[1])
if ARGV[1] == '1' then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], GEN_TTL)
end
return 1
""".replace("GEN_TTL", str(GEN_TTL_S))


def _unavailable(exc: Exception) -> ServiceUnavailableError:
    log.error("billing book unavailable: %s", exc)
    return ServiceUnavailableError(
        "The gateway cannot check this account's balance right now.",
        remediation="Retry shortly; the gateway cannot reach its Redis.",
        retry_after=1,
    )


class RedisBook:
    """The :class:`~local_gateway.services.billing.book.Book` protocol over Redis."""

    def __init__(self, url: str, prefix: str = "mg:") -> None:
        self.prefix = prefix
        self.redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._reserve = self.redis.register_script(_RESERVE)
        self._settle = self.redis.register_script(_SETTLE)
        self._load = self.redis.register_script(_LOAD)
        self._forget = self.redis.register_script(_FORGET)

    def _keys(self, developer_id: str, *names: str) -> list[str]:
        return [f"{self.prefix}bill:{{{developer_id}}}:{name}" for name in names]

    async def generation(self, developer_id: str) -> int:
        try:
            value = await self.redis.get(self._keys(developer_id, "gen")[0])
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return int(value or 0)

    async def load(self, developer_id: str, generation: int, state: AccountState) -> bool:
        args = [
            generation, state.balance, state.day_key, state.day_spent, state.month_key,
            state.month_spent, state.grant_id, state.grant_micros, repr(time.time()),
        ]  # fmt: skip
        try:
            return bool(await self._load(keys=self._keys(developer_id, "acct", "gen"), args=args))
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def reserve(
        self,
        developer_id: str,
        hold_id: str,
        amount: int,
        day_key: str,
        month_key: str,
        daily_cap: int | None,
        monthly_cap: int | None,
    ) -> Verdict:
        caps = [-1 if daily_cap is None else daily_cap, -1 if monthly_cap is None else monthly_cap]
        args = [repr(time.time()), hold_id, amount, day_key, month_key, *caps]
        try:
            raw = await self._reserve(keys=self._keys(developer_id, "acct", "holds", "hexp"), args=args)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        status = raw[0].decode() if isinstance(raw[0], bytes) else str(raw[0])
        status_value: Status = status  # type: ignore[assignment]
        return Verdict(status_value, int(raw[1]), int(raw[2]), int(raw[3]), float(raw[4]))

    async def settle(
        self, developer_id: str, hold_id: str | None, amount: int, day_key: str, month_key: str
    ) -> Settled | None:
        keys = self._keys(developer_id, "acct", "holds", "hexp", "gen")
        try:
            raw = await self._settle(keys=keys, args=[hold_id or "", amount, day_key, month_key])
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if not raw:
            return None
        return Settled(int(raw[0]), int(raw[1]), int(raw[2] or 0), int(raw[3] or 0))

    async def release(self, developer_id: str, hold_id: str) -> None:
        holds, hexp = self._keys(developer_id, "holds", "hexp")
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.hdel(holds, hold_id).zrem(hexp, hold_id).execute()
        except RedisError as exc:
            log.error("a hold was not released (it expires by itself): %s", exc)

    async def refresh(self, developer_id: str) -> None:
        await self._forget_account(developer_id, bump=False)

    async def invalidate(self, developer_id: str) -> None:
        await self._forget_account(developer_id, bump=True)

    async def _forget_account(self, developer_id: str, bump: bool) -> None:
        try:
            await self._forget(keys=self._keys(developer_id, "acct", "gen"), args=["1" if bump else "0"])
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def close(self) -> None:
        await self.redis.aclose()
