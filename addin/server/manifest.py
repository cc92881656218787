"""The Office add-in manifest (XML) and its icons.

The manifest tells Excel where everything lives: the task pane, the custom functions'
metadata and script (a shared runtime, so the functions and the task pane share one page and
one sign-in), the function namespace (``NCCI.CPT_DESC``), a ribbon button, and — when Entra ID
is on — the app registration for single sign-on. The add-in id is stable
(``CPT_ADDIN_MANIFEST_ID`` to change it); URLs come from the configured public address.
"""

from __future__ import annotations

import struct
import zlib
from xml.sax.saxutils import escape, quoteattr

from addin import __version__
from addin.server.config import ServerSettings

ICON_SIZES = (16, 32, 64, 80)
ICON_RGB = (0x1F, 0x6F, 0x8B)  # a calm teal, readable on light and dark ribbons


def icon_png(size: int) -> bytes:
    """A square PNG icon (teal with a white check-mark bar), made without image libraries."""
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            border = x < size // 8 or y < size // 8 or x >= size - size // 8 or y >= size - size // 8
            bar = size // 3 <= y < size // 3 + max(1, size // 8) and size // 4 <= x < size - size // 4
            bar |= size // 2 <= y < size // 2 + max(1, size // 8) and size // 4 <= x < size - size // 3
            row += bytes((255, 255, 255) if bar and not border else ICON_RGB)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def manifest_version() -> str:
    """Office wants four numeric parts: 0.1.0 -> 0.1.0.0."""
    parts = [p for p in __version__.split(".") if p.isdigit()][:4]
    return ".".join(parts + ["0"] * (4 - len(parts)))


def manifest_xml(settings: ServerSettings) -> str:
    """The manifest for this server's public address."""
    base = settings.base_url
    a = quoteattr
    taskpane = f"{base}/taskpane.html?office=1"
    sso = ""
    if settings.entra_enabled:
        host = base.split("://", 1)[-1]
        sso = f"""
    <WebApplicationInfo>
      <Id>{escape(settings.entra_client_id)}</Id>
      <Resource>{escape(f"api://{host}/{settings.entra_client_id}")}</Resource>
      <Scopes>
        <Scope>openid</Scope>
        <Scope>profile</Scope>
      </Scopes>
    </WebApplicationInfo>"""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0"
  xmlns:ov="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="TaskPaneApp">
  <Id>{escape(settings.manifest_id)}</Id>
  <Version>{manifest_version()}</Version>
  <ProviderName>cpt-addin</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue="cpt-addin: NCCI checks" />
  <Description DefaultValue="NCCI PTP, MUE and add-on code answers as Excel functions, a code search and a claim sheet check." />
  <IconUrl DefaultValue={a(f"{base}/static/icon-32.png")} />
  <HighResolutionIconUrl DefaultValue={a(f"{base}/static/icon-64.png")} />
  <SupportUrl DefaultValue={a(f"{base}/taskpane.html")} />
  <AppDomains>
    <AppDomain>{escape(base)}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Workbook" />
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
      <Set Name="SharedRuntime" MinVersion="1.1" />
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue={a(taskpane)} />
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="VersionOverridesV1_0">
    <Hosts>
      <Host xsi:type="Workbook">
        <Runtimes>
          <Runtime resid="Taskpane.Url" lifetime="long" />
        </Runtimes>
        <AllFormFactors>
          <ExtensionPoint xsi:type="CustomFunctions">
            <Script>
              <SourceLocation resid="Functions.Script.Url" />
            </Script>
            <Page>
              <SourceLocation resid="Taskpane.Url" />
            </Page>
            <Metadata>
              <SourceLocation resid="Functions.Metadata.Url" />
            </Metadata>
            <Namespace resid="Functions.Namespace" />
          </ExtensionPoint>
        </AllFormFactors>
        <DesktopFormFactor>
          <FunctionFile resid="Taskpane.Url" />
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <OfficeTab id="TabHome">
              <Group id="CptAddin.Group">
                <Label resid="Group.Label" />
                <Icon>
                  <bt:Image size="16" resid="Icon.16x16" />
                  <bt:Image size="32" resid="Icon.32x32" />
                  <bt:Image size="80" resid="Icon.80x80" />
                </Icon>
                <Control xsi:type="Button" id="CptAddin.TaskpaneButton">
                  <Label resid="TaskpaneButton.Label" />
                  <Supertip>
                    <Title resid="TaskpaneButton.Label" />
                    <Description resid="TaskpaneButton.Tooltip" />
                  </Supertip>
                  <Icon>
                    <bt:Image size="16" resid="Icon.16x16" />
                    <bt:Image size="32" resid="Icon.32x32" />
                    <bt:Image size="80" resid="Icon.80x80" />
                  </Icon>
                  <Action xsi:type="ShowTaskpane">
                    <TaskpaneId>CptAddin.Taskpane</TaskpaneId>
                    <SourceLocation resid="Taskpane.Url" />
                  </Action>
                </Control>
              </Group>
            </OfficeTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>
        <bt:Image id="Icon.16x16" DefaultValue={a(f"{base}/static/icon-16.png")} />
        <bt:Image id="Icon.32x32" DefaultValue={a(f"{base}/static/icon-32.png")} />
        <bt:Image id="Icon.80x80" DefaultValue={a(f"{base}/static/icon-80.png")} />
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Taskpane.Url" DefaultValue={a(taskpane)} />
        <bt:Url id="Functions.Script.Url" DefaultValue={a(f"{base}/xlwings/custom-functions-code.js")} />
        <bt:Url id="Functions.Metadata.Url" DefaultValue={a(f"{base}/xlwings/custom-functions-meta.json")} />
      </bt:Urls>
      <bt:ShortStrings>
        <bt:String id="Functions.Namespace" DefaultValue={a(settings.namespace.upper())} />
        <bt:String id="Group.Label" DefaultValue="NCCI checks" />
        <bt:String id="TaskpaneButton.Label" DefaultValue="Code search and sheet check" />
      </bt:ShortStrings>
      <bt:LongStrings>
        <bt:String id="TaskpaneButton.Tooltip" DefaultValue="Look up a code's facts and edits, or check the claims on this sheet." />
      </bt:LongStrings>
    </Resources>{sso}
  </VersionOverrides>
</OfficeApp>
"""
