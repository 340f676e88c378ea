@echo off
rem Runs JBang for this workbook on Windows with nothing but a JDK (17+) and Maven installed.
rem Same logic as ./jbang: an installed jbang wins; otherwise JBang's jar from Maven Central.
rem Not tested on Windows by us (no Windows machine): please report problems.
setlocal EnableDelayedExpansion
set JBANG_VERSION=0.132.1
set GSON_VERSION=2.13.1

where jbang >nul 2>nul
if %ERRORLEVEL% EQU 0 (
  for /f "delims=" %%j in ('where jbang') do (
    if /i not "%%~dpj"=="%~dp0" ( "%%j" %* & exit /b !ERRORLEVEL! )
  )
)

rem For the workbook tool's --version (no warm runner here: this script never talks to one).
set WORKBOOK_JBANG_VERSION=%JBANG_VERSION%
if defined JAVA_HOME ( set "JAVA=%JAVA_HOME%\bin\java.exe" ) else ( set JAVA=java )
"%JAVA%" -version >nul 2>nul || ( echo jbang: no Java found: install a JDK 17 or newer and run this again. & exit /b 1 )

if not defined WORKBOOK_HOME set "WORKBOOK_HOME=%USERPROFILE%\.workbook"
set "HOME_DIR=%WORKBOOK_HOME%\jbang-%JBANG_VERSION%"
set "CP_FILE=%HOME_DIR%\classpath.txt"
if not exist "%CP_FILE%" (
  where mvn >nul 2>nul || ( echo jbang: JBang is not installed and Maven is missing to fetch it: install JBang or Maven, then run this again. & exit /b 1 )
  if not exist "%HOME_DIR%" mkdir "%HOME_DIR%"
  > "%HOME_DIR%\pom.xml" (
    echo ^<project xmlns="http://maven.apache.org/POM/4.0.0"^>^<modelVersion^>4.0.0^</modelVersion^>
    echo ^<groupId^>workbook.local^</groupId^>^<artifactId^>jbang-bootstrap^</artifactId^>^<version^>1^</version^>
    echo ^<dependencyManagement^>^<dependencies^>^<dependency^>^<groupId^>com.google.code.gson^</groupId^>^<artifactId^>gson^</artifactId^>^<version^>%GSON_VERSION%^</version^>^</dependency^>^</dependencies^>^</dependencyManagement^>
    echo ^<dependencies^>^<dependency^>^<groupId^>dev.jbang^</groupId^>^<artifactId^>jbang-cli^</artifactId^>^<version^>%JBANG_VERSION%^</version^>^</dependency^>^</dependencies^>^</project^>
  )
  echo jbang: fetching JBang %JBANG_VERSION% from Maven Central ^(once^)... 1>&2
  call mvn -q -B -f "%HOME_DIR%\pom.xml" dependency:build-classpath "-Dmdep.outputFile=%CP_FILE%" > "%HOME_DIR%\maven.log" 2>&1
  if not exist "%CP_FILE%" ( echo jbang: Maven could not fetch JBang ^(see %HOME_DIR%\maven.log^): check your network or proxy. & exit /b 1 )
)
set /p CP=<"%CP_FILE%"
rem JBang's built-in catalog imports JBangHub's from GitHub and looks it up, with no timeout, for every
rem workbook@. command (see ./jbang): on Wi-Fi that never answers, every command hung. A catalog of our
rem own, first on JBang's class path, imports nothing (made once with the JDK's jar tool).
set "CATALOG_JAR=%HOME_DIR%\builtin-catalog.jar"
if not exist "%CATALOG_JAR%" (
  if defined JAVA_HOME ( set "JAR=%JAVA_HOME%\bin\jar.exe" ) else ( set JAR=jar )
  set "CAT_DIR=%TEMP%\workbook-catalog-%RANDOM%"
  mkdir "!CAT_DIR!"
  > "!CAT_DIR!\jbang-catalog.json" echo { "catalogs": {}, "aliases": {}, "templates": {} }
  "!JAR!" cf "!CAT_DIR!\catalog.jar" -C "!CAT_DIR!" jbang-catalog.json >nul 2>nul && move /y "!CAT_DIR!\catalog.jar" "%CATALOG_JAR%" >nul
  rmdir /s /q "!CAT_DIR!"
)
if exist "%CATALOG_JAR%" set "CP=%CATALOG_JAR%;%CP%"

set JBANG_RUNTIME_SHELL=cmd
set "JBANG_LAUNCH_CMD=%~f0"
set "OUT=%TEMP%\workbook-jbang-%RANDOM%.cmd"
"%JAVA%" %JBANG_JAVA_OPTIONS% -classpath "%CP%" dev.jbang.Main %* > "%OUT%"
set RC=%ERRORLEVEL%
if %RC% EQU 255 (
  set /p CMDLINE=<"%OUT%"
  del "%OUT%"
  !CMDLINE!
  exit /b !ERRORLEVEL!
)
type "%OUT%"
del "%OUT%"
exit /b %RC%
