# syntax=docker/dockerfile:1
# Multi-stage: the SDK image builds and publishes, the ASP.NET runtime image runs as a non-root user.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so that the layer is reused while only code changes.
# --parents keeps each src/<project>/<project>.csproj at its path, whatever projects exist.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY --parents src/*/*.csproj ./
RUN dotnet restore src/SendApi/SendApi.csproj
COPY src/ src/
RUN dotnet publish src/SendApi/SendApi.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# HTTP API; SMTP submission (STARTTLS) and submission over TLS; inbound SMTP for bounces and replies.
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080 587 465 25
# The image's built-in unprivileged user. Binding 25/465/587 needs the capability below, granted
# to the dotnet host only, so the service never runs as root.
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcap2-bin \
    && setcap 'cap_net_bind_service=+ep' "$(readlink -f /usr/bin/dotnet)" \
    && apt-get purge -y libcap2-bin && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
USER $APP_UID
ENTRYPOINT ["dotnet", "SendApi.dll"]
