; Fieldbook for Windows: installs the one-folder build (dist\Fieldbook\, made with build.spec)
; to Program Files, with a Start menu shortcut and an uninstaller.
;
; Compile after the build, from the repository root (packaging\windows\README.md, step by step):
;   iscc /DAppVersion=0.1.0 packaging\windows\fieldbook.iss
; build.ps1 beside this file reads the version from the built fieldbook.exe and does this.
; The installer lands in dist\Fieldbook-<version>-windows-x64-setup.exe.
;
; Profiles are never under {app}: the app keeps them in the user's data folder
; (%LOCALAPPDATA%\fieldbook\profile by default). An upgrade replaces the program files
; only, and an uninstall leaves the profiles alone; the store migrates its schema the first
; time the new version opens it.

#ifndef AppVersion
  #error Pass the version of the build: iscc /DAppVersion=X.Y.Z fieldbook.iss (build.ps1 does)
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\Fieldbook"
#endif
#define AppName "Fieldbook"

[Setup]
; The AppId ties every version together: a newer installer upgrades the one installed.
; Never change it.
AppId={{6B7C2E0A-4F1D-4C4B-9E51-3A9F0C1D8E27}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Fieldbook-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\fieldbook.ico
UninstallDisplayIcon={app}\fieldbookw.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running Fieldbook before its files are replaced (it saves drafts on close).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "ukrainian"; MessagesFile: "compiler:Languages\Ukrainian.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; A one-folder build's file list changes between versions: remove the old program files
; first, so no stale library from the previous version is loaded. Only {app} is touched.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\fieldbookw.exe"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\fieldbookw.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\fieldbookw.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] for the data folder, on purpose: profiles hold the team's
; encrypted work and may not have synced yet. Removing them is a deliberate act
; ("fieldbook profile wipe", or deleting the folder by hand).
