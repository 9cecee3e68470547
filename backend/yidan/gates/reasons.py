"""The reasons a lane scan gives, each in plain Chinese and English, and how each weighs on the answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["deny", "inspect", "note"]


@dataclass(frozen=True, slots=True)
class ReasonText:
    """A reason's severity and its wording; {placeholders} are filled from the scan's details."""

    severity: Severity
    en: str
    zh: str


# Severity decides the answer: any "deny" denies; otherwise any "inspect" sends the truck to manual
# inspection; "note" is recorded and shown but lets the truck through.
REASONS: dict[str, ReasonText] = {
    "malformed_token": ReasonText(
        "deny", "The QR code is not a Yidan gate pass.", "二维码不是有效的一单闸口通行证。"
    ),
    "invalid_signature": ReasonText(
        "deny",
        "The pass signature is invalid: the pass is forged or altered.",
        "通行证签名无效：通行证系伪造或被篡改。",
    ),
    "unknown_pass": ReasonText("deny", "No such gate pass was issued.", "系统中没有签发过此通行证。"),
    "wrong_gate": ReasonText(
        "deny",
        "This pass is for gate {pass_gate}, not this gate.",
        "此通行证适用于闸口 {pass_gate}，不是本闸口。",
    ),
    "wrong_direction": ReasonText(
        "deny", "This pass is not valid for gate-{direction}.", "此通行证不可用于{direction_zh}。"
    ),
    "revoked": ReasonText("deny", "The pass was revoked: {why}.", "通行证已被撤销：{why}。"),
    "not_yet_valid": ReasonText(
        "deny",
        "The pass is valid only from {valid_from} (appointment slot).",
        "通行证自 {valid_from} 起才生效（预约时段）。",
    ),
    "expired": ReasonText("deny", "The pass expired at {valid_to}.", "通行证已于 {valid_to} 过期。"),
    "already_used": ReasonText(
        "deny",
        "The pass was already used for gate-{direction} at {used_at}.",
        "此通行证已于 {used_at} 用于{direction_zh}，不能重复使用。",
    ),
    "not_gated_in": ReasonText(
        "deny", "The truck has no recorded gate-in on this pass.", "该车辆凭此通行证没有进闸记录。"
    ),
    "plate_mismatch": ReasonText(
        "deny",
        "Plate read {plate_read} does not match the pass plate {plate}.",
        "识别车牌 {plate_read} 与通行证车牌 {plate} 不符。",
    ),
    "container_mismatch": ReasonText(
        "deny",
        "Container read {container_read} does not match the pass container {container}.",
        "识别箱号 {container_read} 与通行证箱号 {container} 不符。",
    ),
    "container_not_read": ReasonText(
        "inspect",
        "No container number was read; container {container} is expected.",
        "未识别到箱号，应为集装箱 {container}。",
    ),
    "unexpected_container": ReasonText(
        "inspect",
        "A container ({container_read}) was read on a truck that should be empty.",
        "应为空车，却识别到集装箱 {container_read}。",
    ),
    "appointment_cancelled": ReasonText("deny", "The appointment was cancelled.", "该预约已取消。"),
    "waybill_not_active": ReasonText(
        "deny",
        "Waybill {waybill} is {status}; it cannot pass the gate.",
        "运单 {waybill} 状态为 {status}，不能过闸。",
    ),
    "container_not_available": ReasonText(
        "deny",
        "The container has not arrived at the terminal yet (leg {seq} is {status}).",
        "集装箱尚未到达码头（第 {seq} 程状态：{status}）。",
    ),
    "leg_not_departed": ReasonText(
        "deny",
        "No departure is recorded for the truck leg; the dispatcher must record it first.",
        "公路运输段尚未记录发车，请调度先登记发车。",
    ),
    "leg_state": ReasonText(
        "deny",
        "The truck leg is already {status}; this movement does not fit.",
        "公路运输段已是{status_zh}状态，与本次过闸不符。",
    ),
    "dg_unapproved": ReasonText(
        "inspect",
        "Dangerous goods ({un_numbers}) without a recorded approval: inspect before passing.",
        "危险货物（{un_numbers}）无审批记录：须人工查验后放行。",
    ),
    "position_outside_geofence": ReasonText(
        "deny",
        "The truck's latest BeiDou/GNSS fix is {distance_m} m away from this gate.",
        "车辆最新北斗/卫星定位距离本闸口 {distance_m} 米，不在闸口范围内。",
    ),
    "position_stale": ReasonText(
        "inspect",
        "The truck's latest BeiDou/GNSS fix is {age_s} s old; the position cannot be confirmed.",
        "车辆最新北斗/卫星定位已是 {age_s} 秒前，无法确认车辆位置。",
    ),
    "position_unknown": ReasonText(
        "inspect",
        "No BeiDou/GNSS position is known for this truck.",
        "没有该车辆的北斗/卫星定位信息。",
    ),
    "position_untracked": ReasonText(
        "note",
        "The truck has no tracking device registered; position not checked.",
        "该车辆未登记定位终端，未核验位置。",
    ),
    "manual_override": ReasonText(
        "note", "Decided by gate operator: {reason}", "闸口操作员人工决定：{reason}"
    ),
    "leg_not_moved": ReasonText("note", "The waybill was not updated: {why}", "运单未更新：{why}"),
}

# Short names for reports that count reasons rather than show one scan's details.
LABELS: dict[str, tuple[str, str]] = {
    "malformed_token": ("Not a gate pass", "非通行证"),
    "invalid_signature": ("Forged or altered pass", "通行证签名无效"),
    "unknown_pass": ("Unknown pass", "未知通行证"),
    "wrong_gate": ("Pass for another gate", "非本闸口通行证"),
    "wrong_direction": ("Wrong direction", "方向不符"),
    "revoked": ("Revoked pass", "通行证已撤销"),
    "not_yet_valid": ("Too early for the slot", "未到预约时段"),
    "expired": ("Expired pass", "通行证已过期"),
    "already_used": ("Pass already used", "通行证重复使用"),
    "not_gated_in": ("No gate-in recorded", "无进闸记录"),
    "plate_mismatch": ("Plate mismatch", "车牌不符"),
    "container_mismatch": ("Container mismatch", "箱号不符"),
    "container_not_read": ("Container not read", "未识别箱号"),
    "unexpected_container": ("Unexpected container", "空车载箱"),
    "appointment_cancelled": ("Appointment cancelled", "预约已取消"),
    "waybill_not_active": ("Waybill not active", "运单状态不允许"),
    "container_not_available": ("Container not yet arrived", "集装箱未到港"),
    "leg_not_departed": ("Truck leg not departed", "未登记发车"),
    "leg_state": ("Truck leg state", "运输段状态不符"),
    "dg_unapproved": ("Dangerous goods without approval", "危险货物无审批"),
    "position_outside_geofence": ("Truck not at the gate (GNSS)", "定位不在闸口"),
    "position_stale": ("GNSS fix too old", "定位过旧"),
    "position_unknown": ("No GNSS position", "无定位"),
    "position_untracked": ("Truck not tracked", "车辆未登记定位"),
    "manual_override": ("Operator decision", "人工决定"),
    "leg_not_moved": ("Waybill not updated", "运单未更新"),
}

DIRECTION_ZH = {"in": "进闸", "out": "出闸"}
STATUS_ZH = {"planned": "计划中", "departed": "已出发", "arrived": "已到达"}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def reason(code: str, **details: Any) -> dict[str, str]:
    """A reason as stored and shown: code, severity and the filled-in English and Chinese text."""
    text = REASONS[code]
    values = _Lenient(details)
    if "direction" in details:
        values.setdefault("direction_zh", DIRECTION_ZH.get(str(details["direction"]), details["direction"]))
    if "status" in details:
        values.setdefault("status_zh", STATUS_ZH.get(str(details["status"]), details["status"]))
    return {
        "code": code,
        "severity": text.severity,
        "en": text.en.format_map(values),
        "zh": text.zh.format_map(values),
    }


def worst(reasons: list[dict[str, str]]) -> Severity | None:
    """The weightiest severity among reasons (None when there are none)."""
    severities = {r["severity"] for r in reasons}
    for severity in ("deny", "inspect", "note"):
        if severity in severities:
            return severity  # type: ignore[return-value]
    return None
