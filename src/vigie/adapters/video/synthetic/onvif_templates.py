"""Fixed SOAP bodies answered by the ONVIF simulator, shaped to parse in onvif-zeep-async.

Kept apart from the server so the XML shapes (element order follows the ONVIF schemas) can be
read in one place. Every value that comes from outside is escaped.
"""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from vigie.adapters.video.synthetic.onvif_soap import NS, iso

__all__ = [
    "capabilities",
    "device_information",
    "event_properties",
    "media_uri",
    "nodes",
    "notification",
    "preset_set",
    "presets",
    "profiles",
    "ptz_configurations",
    "pull_messages",
    "renewed",
    "services",
    "status",
    "subscription_created",
    "system_date_and_time",
]

PROFILE = "Profile_1"
NODE = "PTZNode_1"
PTZ_CONFIG = "PTZConfig_1"
PAN_TILT_SPACE = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
ZOOM_SPACE = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"
VELOCITY_SPACE = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace"
ZOOM_VELOCITY_SPACE = "http://www.onvif.org/ver10/tptz/ZoomSpaces/VelocityGenericSpace"
TOPIC_DIALECT = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"


def system_date_and_time(now: datetime) -> str:
    return (
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
        "<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
        "<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>"
        f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
        f"<tt:Second>{now.second}</tt:Second></tt:Time>"
        f"<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month>"
        f"<tt:Day>{now.day}</tt:Day></tt:Date>"
        "</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


def device_information(manufacturer: str, model: str) -> str:
    return (
        "<tds:GetDeviceInformationResponse>"
        f"<tds:Manufacturer>{escape(manufacturer)}</tds:Manufacturer>"
        f"<tds:Model>{escape(model)}</tds:Model><tds:FirmwareVersion>1.0</tds:FirmwareVersion>"
        "<tds:SerialNumber>VIGIE-SIM-0001</tds:SerialNumber><tds:HardwareId>sim</tds:HardwareId>"
        "</tds:GetDeviceInformationResponse>"
    )


def _service_list(base: str, ptz: bool) -> list[tuple[str, str]]:
    items = [
        (NS["tds"], f"{base}/onvif/device_service"),
        (NS["trt"], f"{base}/onvif/media_service"),
        (NS["tev"], f"{base}/onvif/events_service"),
    ]
    if ptz:
        items.append((NS["tptz"], f"{base}/onvif/ptz_service"))
    return items


def services(base: str, ptz: bool) -> str:
    body = "".join(
        f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{xaddr}</tds:XAddr>"
        "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
        for ns, xaddr in _service_list(base, ptz)
    )
    return f"<tds:GetServicesResponse>{body}</tds:GetServicesResponse>"


def capabilities(base: str, ptz: bool) -> str:
    ptz_part = f"<tt:PTZ><tt:XAddr>{base}/onvif/ptz_service</tt:XAddr></tt:PTZ>" if ptz else ""
    return (
        "<tds:GetCapabilitiesResponse><tds:Capabilities>"
        f"<tt:Device><tt:XAddr>{base}/onvif/device_service</tt:XAddr></tt:Device>"
        f"<tt:Events><tt:XAddr>{base}/onvif/events_service</tt:XAddr>"
        "<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
        "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
        "<tt:WSPausableSubscriptionManagerInterfaceSupport>false"
        "</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>"
        f"<tt:Media><tt:XAddr>{base}/onvif/media_service</tt:XAddr>"
        "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>"
        "<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
        "</tt:StreamingCapabilities></tt:Media>"
        f"{ptz_part}</tds:Capabilities></tds:GetCapabilitiesResponse>"
    )


def _ptz_configuration(tag: str) -> str:
    return (
        f'<{tag} token="{PTZ_CONFIG}"><tt:Name>PTZ</tt:Name><tt:UseCount>1</tt:UseCount>'
        f"<tt:NodeToken>{NODE}</tt:NodeToken>"
        f"<tt:DefaultAbsolutePantTiltPositionSpace>{PAN_TILT_SPACE}"
        "</tt:DefaultAbsolutePantTiltPositionSpace>"
        f"<tt:DefaultAbsoluteZoomPositionSpace>{ZOOM_SPACE}</tt:DefaultAbsoluteZoomPositionSpace>"
        f"<tt:DefaultContinuousPanTiltVelocitySpace>{VELOCITY_SPACE}"
        "</tt:DefaultContinuousPanTiltVelocitySpace>"
        f"<tt:DefaultContinuousZoomVelocitySpace>{ZOOM_VELOCITY_SPACE}"
        "</tt:DefaultContinuousZoomVelocitySpace>"
        "<tt:DefaultPTZTimeout>PT10S</tt:DefaultPTZTimeout>"
        f"</{tag}>"
    )


def profiles(ptz: bool) -> str:
    ptz_part = _ptz_configuration("tt:PTZConfiguration") if ptz else ""
    return (
        f'<trt:GetProfilesResponse><trt:Profiles token="{PROFILE}" fixed="true">'
        "<tt:Name>Principal</tt:Name>"
        '<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>Source</tt:Name>'
        "<tt:UseCount>1</tt:UseCount><tt:SourceToken>VideoSource_1</tt:SourceToken>"
        '<tt:Bounds x="0" y="0" width="640" height="360"/></tt:VideoSourceConfiguration>'
        '<tt:VideoEncoderConfiguration token="VideoEncoderConfig_1"><tt:Name>H264</tt:Name>'
        "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
        "<tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution>"
        "<tt:Quality>5</tt:Quality><tt:SessionTimeout>PT60S</tt:SessionTimeout>"
        "</tt:VideoEncoderConfiguration>"
        f"{ptz_part}</trt:Profiles></trt:GetProfilesResponse>"
    )


def media_uri(response: str, uri: str) -> str:
    return (
        f"<trt:{response}><trt:MediaUri><tt:Uri>{escape(uri)}</tt:Uri>"
        "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
        "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout>"
        f"</trt:MediaUri></trt:{response}>"
    )


def _range(low: float, high: float) -> str:
    return f"<tt:Min>{low}</tt:Min><tt:Max>{high}</tt:Max>"


def nodes() -> str:
    return (
        f'<tptz:GetNodesResponse><tptz:PTZNode token="{NODE}" FixedHomePosition="false">'
        "<tt:Name>PTZ</tt:Name><tt:SupportedPTZSpaces>"
        f"<tt:AbsolutePanTiltPositionSpace><tt:URI>{PAN_TILT_SPACE}</tt:URI>"
        f"<tt:XRange>{_range(-1, 1)}</tt:XRange><tt:YRange>{_range(-1, 1)}</tt:YRange>"
        "</tt:AbsolutePanTiltPositionSpace>"
        f"<tt:AbsoluteZoomPositionSpace><tt:URI>{ZOOM_SPACE}</tt:URI>"
        f"<tt:XRange>{_range(0, 1)}</tt:XRange></tt:AbsoluteZoomPositionSpace>"
        f"<tt:ContinuousPanTiltVelocitySpace><tt:URI>{VELOCITY_SPACE}</tt:URI>"
        f"<tt:XRange>{_range(-1, 1)}</tt:XRange><tt:YRange>{_range(-1, 1)}</tt:YRange>"
        "</tt:ContinuousPanTiltVelocitySpace>"
        f"<tt:ContinuousZoomVelocitySpace><tt:URI>{ZOOM_VELOCITY_SPACE}</tt:URI>"
        f"<tt:XRange>{_range(-1, 1)}</tt:XRange></tt:ContinuousZoomVelocitySpace>"
        "</tt:SupportedPTZSpaces><tt:MaximumNumberOfPresets>64</tt:MaximumNumberOfPresets>"
        "<tt:HomeSupported>true</tt:HomeSupported></tptz:PTZNode></tptz:GetNodesResponse>"
    )


def ptz_configurations() -> str:
    return (
        "<tptz:GetConfigurationsResponse>"
        f"{_ptz_configuration('tptz:PTZConfiguration')}</tptz:GetConfigurationsResponse>"
    )


def _position(tag: str, pan: float, tilt: float, zoom: float) -> str:
    return (
        f'<{tag}><tt:PanTilt x="{pan:.4f}" y="{tilt:.4f}" space="{PAN_TILT_SPACE}"/>'
        f'<tt:Zoom x="{zoom:.4f}" space="{ZOOM_SPACE}"/></{tag}>'
    )


def status(pan: float, tilt: float, zoom: float, moving: bool, now: datetime) -> str:
    state = "MOVING" if moving else "IDLE"
    return (
        "<tptz:GetStatusResponse><tptz:PTZStatus>"
        f"{_position('tt:Position', pan, tilt, zoom)}"
        f"<tt:MoveStatus><tt:PanTilt>{state}</tt:PanTilt><tt:Zoom>{state}</tt:Zoom>"
        f"</tt:MoveStatus><tt:UtcTime>{iso(now)}</tt:UtcTime>"
        "</tptz:PTZStatus></tptz:GetStatusResponse>"
    )


def presets(items: list[tuple[str, str, float, float, float]]) -> str:
    body = "".join(
        f"<tptz:Preset token={quoteattr(token)}><tt:Name>{escape(name)}</tt:Name>"
        f"{_position('tt:PTZPosition', pan, tilt, zoom)}</tptz:Preset>"
        for token, name, pan, tilt, zoom in items
    )
    return f"<tptz:GetPresetsResponse>{body}</tptz:GetPresetsResponse>"


def preset_set(token: str) -> str:
    return (
        f"<tptz:SetPresetResponse><tptz:PresetToken>{escape(token)}</tptz:PresetToken>"
        "</tptz:SetPresetResponse>"
    )


def event_properties() -> str:
    return (
        "<tev:GetEventPropertiesResponse>"
        "<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml"
        "</tev:TopicNamespaceLocation><wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>"
        '<wstop:TopicSet xmlns:wstop="http://docs.oasis-open.org/wsn/t-1"/>'
        f"<wsnt:TopicExpressionDialect>{TOPIC_DIALECT}</wsnt:TopicExpressionDialect>"
        "<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/"
        "ItemFilter</tev:MessageContentFilterDialect>"
        "<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd"
        "</tev:MessageContentSchemaLocation></tev:GetEventPropertiesResponse>"
    )


def subscription_created(address: str, now: datetime, until: datetime) -> str:
    return (
        "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
        f"<wsa:Address>{escape(address)}</wsa:Address></tev:SubscriptionReference>"
        f"<wsnt:CurrentTime>{iso(now)}</wsnt:CurrentTime>"
        f"<wsnt:TerminationTime>{iso(until)}</wsnt:TerminationTime>"
        "</tev:CreatePullPointSubscriptionResponse>"
    )


def notification(topic: str, source_token: str, state: bool, at: datetime) -> str:
    value = "true" if state else "false"
    return (
        f'<wsnt:NotificationMessage><wsnt:Topic Dialect="{TOPIC_DIALECT}">{escape(topic)}'
        f'</wsnt:Topic><wsnt:Message><tt:Message UtcTime="{iso(at)}" PropertyOperation="Changed">'
        f'<tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" '
        f"Value={quoteattr(source_token)}/></tt:Source>"
        f'<tt:Data><tt:SimpleItem Name="State" Value="{value}"/></tt:Data>'
        "</tt:Message></wsnt:Message></wsnt:NotificationMessage>"
    )


def pull_messages(now: datetime, until: datetime, messages: list[str]) -> str:
    return (
        f"<tev:PullMessagesResponse><tev:CurrentTime>{iso(now)}</tev:CurrentTime>"
        f"<tev:TerminationTime>{iso(until)}</tev:TerminationTime>{''.join(messages)}"
        "</tev:PullMessagesResponse>"
    )


def renewed(now: datetime, until: datetime) -> str:
    return (
        f"<wsnt:RenewResponse><wsnt:TerminationTime>{iso(until)}</wsnt:TerminationTime>"
        f"<wsnt:CurrentTime>{iso(now)}</wsnt:CurrentTime></wsnt:RenewResponse>"
    )
