# syntax=docker/dockerfile:1
# Multi-stage: the SDK image builds and publishes, the ASP.NET runtime image runs as a non-root user.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so that the layer is reused while only code changes.
# Every project under src/ must be listed here (a test checks it).
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/SendApi/SendApi.csproj src/SendApi/
COPY src/SendApi.Api/SendApi.Api.csproj src/SendApi.Api/
COPY src/SendApi.Core/SendApi.Core.csproj src/SendApi.Core/
COPY src/SendApi.Delivery/SendApi.Delivery.csproj src/SendApi.Delivery/
COPY src/SendApi.Inbound/SendApi.Inbound.csproj src/SendApi.Inbound/
COPY src/SendApi.Smtp/SendApi.Smtp.csproj src/SendApi.Smtp/
COPY src/SendApi.Storage/SendApi.Storage.csproj src/SendApi.Storage/
COPY src/SendApi.Webhooks/SendApi.Webhooks.csproj src/SendApi.Webhooks/
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
